package org.cd4j.hub;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The environment variables huggingface_hub reads, read the same way; and repository ids. */
class HubSettingsTest {
    @TempDir
    Path tmp;

    @Test
    void defaultsFollowHuggingfaceHub() {
        HubSettings s = HubSettings.fromEnvironment(Map.of("HOME", "/home/u"));
        assertThat(s.endpoint()).isEqualTo(URI.create("https://huggingface.co"));
        assertThat(s.cacheDir()).isEqualTo(Path.of("/home/u/.cache/huggingface/hub"));
        assertThat(s.token()).isNull();
        assertThat(s.offline()).isFalse();
        assertThat(s.timeout()).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void cacheLocationPrecedence() {
        assertThat(HubSettings.fromEnvironment(Map.of("HOME", "/h", "XDG_CACHE_HOME", "/x")).cacheDir()).isEqualTo(Path.of("/x/huggingface/hub"));
        assertThat(HubSettings.fromEnvironment(Map.of("HOME", "/h", "XDG_CACHE_HOME", "/x", "HF_HOME", "~/hf")).cacheDir())
                .isEqualTo(Path.of("/h/hf/hub"));
        assertThat(HubSettings.fromEnvironment(Map.of("HOME", "/h", "HF_HOME", "/hf", "HUGGINGFACE_HUB_CACHE", "/old")).cacheDir())
                .isEqualTo(Path.of("/old"));
        assertThat(HubSettings.fromEnvironment(Map.of("HOME", "/h", "HUGGINGFACE_HUB_CACHE", "/old", "HF_HUB_CACHE", "/new")).cacheDir())
                .isEqualTo(Path.of("/new"));
    }

    @Test
    void tokenFromTheEnvironmentOrTheLoginFile() throws IOException {
        Files.writeString(tmp.resolve("token"), "hf_file\n");
        assertThat(HubSettings.fromEnvironment(Map.of("HOME", "/h", "HF_HOME", tmp.toString())).token()).isEqualTo("hf_file");
        assertThat(HubSettings.fromEnvironment(Map.of("HOME", "/h", "HF_HOME", tmp.toString(), "HF_TOKEN", "hf_env")).token())
                .isEqualTo("hf_env");
        assertThat(HubSettings.fromEnvironment(Map.of("HOME", "/h", "HF_TOKEN", "hf_env")).toString())
                .doesNotContain("hf_env").contains("token=set");
    }

    @Test
    void offlineEndpointAndTimeout() {
        for (String v : new String[]{"1", "true", "YES", "on"}) {
            assertThat(HubSettings.fromEnvironment(Map.of("HOME", "/h", "HF_HUB_OFFLINE", v)).offline()).as(v).isTrue();
        }
        assertThat(HubSettings.fromEnvironment(Map.of("HOME", "/h", "HF_HUB_OFFLINE", "0")).offline()).isFalse();
        assertThat(HubSettings.fromEnvironment(Map.of("HOME", "/h", "TRANSFORMERS_OFFLINE", "1")).offline()).isTrue();
        HubSettings s = HubSettings.fromEnvironment(Map.of("HOME", "/h", "HF_ENDPOINT", "http://mirror:8080/", "HF_HUB_DOWNLOAD_TIMEOUT", "2.5"));
        assertThat(s.endpoint()).isEqualTo(URI.create("http://mirror:8080"));
        assertThat(s.timeout()).isEqualTo(Duration.ofMillis(2500));
        assertThatThrownBy(() -> HubSettings.fromEnvironment(Map.of("HOME", "/h", "HF_ENDPOINT", "mirror"))).hasMessageContaining("HF_ENDPOINT");
        assertThatThrownBy(() -> HubSettings.fromEnvironment(Map.of("HOME", "/h", "HF_HUB_DOWNLOAD_TIMEOUT", "soon")))
                .hasMessageContaining("HF_HUB_DOWNLOAD_TIMEOUT");
    }

    @Test
    void repositoryIds() {
        assertThat(RepoId.parse("runwayml/stable-diffusion-v1-5")).contains(new RepoId("runwayml", "stable-diffusion-v1-5"));
        assertThat(RepoId.parse("stabilityai/stable-diffusion-2-1-base").orElseThrow().cacheFolderName())
                .isEqualTo("models--stabilityai--stable-diffusion-2-1-base");
        assertThat(RepoId.parse("CompVis/stable_diffusion.v1")).isPresent();
        for (String bad : new String[]{"gpt2", "a/b/c", "/abs/path", "./models", "org/", "/name", "org--x/y", "org/na..me",
                "org/-name", "org/name.", "org/name.git", "org/na me", "~/models", "C:\\models\\sd"}) {
            assertThat(RepoId.parse(bad)).as(bad).isEmpty();
        }
        assertThatThrownBy(() -> new RepoId("org", "a b")).hasMessageContaining("not a hub repository id");
    }

    @Test
    void snapshotFoldersAreRecognised() {
        String commit = "0123456789abcdef0123456789abcdef01234567";
        assertThat(HubCache.repoOfSnapshot(Path.of("/c/hub/models--org--tiny/snapshots/" + commit))).contains(new RepoId("org", "tiny"));
        assertThat(HubCache.repoOfSnapshot(Path.of("/c/hub/models--org--tiny/snapshots/main"))).isEmpty();
        assertThat(HubCache.repoOfSnapshot(Path.of("/c/hub/datasets--org--tiny/snapshots/" + commit))).isEmpty();
        assertThat(HubCache.repoOfSnapshot(Path.of("/models/sd15"))).isEmpty();
    }
}
