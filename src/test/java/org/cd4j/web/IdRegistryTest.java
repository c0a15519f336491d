package org.cd4j.web;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IdRegistryTest {
    @Test
    void idsComeFromFolderNamesMadeSafeAndUnique() {
        IdRegistry<String> r = new IdRegistry<>("model", "none here");
        assertThat(r.add("sd 1.5", "m", id -> id)).isEqualTo("sd_1.5");
        assertThat(r.add("sd 1.5", "m", id -> id)).isEqualTo("sd_1.5-2");
        assertThat(r.add(".hidden", "m", id -> id)).isEqualTo("m.hidden");
        assertThat(r.add("", "c", id -> id)).isEqualTo("c");
        assertThat(r.all()).containsExactly("sd_1.5", "sd_1.5-2", "m.hidden", "c");
        assertThat(r.get("sd_1.5-2")).isEqualTo("sd_1.5-2");
    }

    @Test
    void unknownIdsAreBadRequestsNamingWhatThereIs() {
        IdRegistry<String> empty = new IdRegistry<>("collection", "the server has no picture collection");
        assertThatThrownBy(() -> empty.get("x")).isInstanceOf(ApiException.class).hasMessage("the server has no picture collection");
        IdRegistry<String> r = new IdRegistry<>("collection", "none");
        r.add("photos", "c", id -> id);
        assertThatThrownBy(() -> r.get("../etc")).isInstanceOf(ApiException.class)
                .hasMessageContaining("unknown collection '../etc'").hasMessageContaining("available: photos")
                .satisfies(e -> assertThat(((ApiException) e).status()).isEqualTo(400));
        assertThatThrownBy(() -> r.get(null)).isInstanceOf(ApiException.class);
    }
}
