package org.cd4j.vae;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class VaeConfigTest {
    static final Path CONFIG = VaeTestSupport.VAE.resolve("config.json");

    @Test
    void readsTheFixtureConfig() throws IOException {
        VaeConfig c = VaeConfig.load(VaeTestSupport.VAE);
        assertThat(c.blockOutChannels()).containsExactly(32, 32, 64, 64);
        assertThat(c.layersPerBlock()).isEqualTo(2);
        assertThat(c.latentChannels()).isEqualTo(4);
        assertThat(c.scalingFactor()).isEqualTo(0.18215);
        assertThat(c.sampleSize()).isEqualTo(128);
        assertThat(c.midBlockAddAttention()).isTrue();
        assertThat(c.downscaleFactor()).isEqualTo(8);
    }

    @Test
    void absentFieldsTakeDiffusersDefaults(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("config.json");
        Files.writeString(f, "{\"_class_name\": \"AutoencoderKL\"}");
        VaeConfig c = VaeConfig.load(f);
        assertThat(c.blockOutChannels()).containsExactly(64);
        assertThat(c.downBlockTypes()).containsExactly("DownEncoderBlock2D");
        assertThat(c.layersPerBlock()).isEqualTo(1);
        assertThat(c.normNumGroups()).isEqualTo(32);
        assertThat(c.scalingFactor()).isEqualTo(0.18215);
        assertThat(c.actFn()).isEqualTo("silu");
    }

    @Test
    void badFieldsAreNamedWithTheFile(@TempDir Path tmp) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("vae"));
        Path f = dir.resolve("config.json");
        String good = Files.readString(CONFIG);
        String where = Path.of("vae", "config.json").toString();

        Files.writeString(f, good.replace("\"norm_num_groups\": 32", "\"norm_num_groups\": 5"));
        assertThatThrownBy(() -> VaeConfig.load(dir)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(where).hasMessageContaining("norm_num_groups");

        Files.writeString(f, good.replaceFirst("\"DownEncoderBlock2D\"", "\"CrossAttnDownBlock2D\""));
        assertThatThrownBy(() -> VaeConfig.load(dir)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(where).hasMessageContaining("down_block_types").hasMessageContaining("CrossAttnDownBlock2D");

        Files.writeString(f, good.replaceFirst("\"UpDecoderBlock2D\",", ""));
        assertThatThrownBy(() -> VaeConfig.load(dir)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("up_block_types has 3 entries but block_out_channels has 4");

        Files.writeString(f, good.replace("\"layers_per_block\": 2", "\"layers_per_block\": \"2\""));
        assertThatThrownBy(() -> VaeConfig.load(dir)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(where).hasMessageContaining("field layers_per_block must be an integer");

        Files.writeString(f, good.replace("\"scaling_factor\": 0.18215", "\"scaling_factor\": 0"));
        assertThatThrownBy(() -> VaeConfig.load(dir)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("scaling_factor");

        Files.writeString(f, good.replace("\"AutoencoderKL\"", "\"AutoencoderTiny\""));
        assertThatThrownBy(() -> VaeConfig.load(dir)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(where).hasMessageContaining("AutoencoderTiny");

        Files.writeString(f, good.replace("\"act_fn\": \"silu\"", "\"act_fn\": \"mish\""));
        assertThatThrownBy(() -> VaeConfig.load(dir)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("act_fn");

        Files.writeString(f, "[1, 2]");
        assertThatThrownBy(() -> VaeConfig.load(dir)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(where);

        Files.writeString(f, "{not json");
        assertThatThrownBy(() -> VaeConfig.load(dir)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(where).hasMessageContaining("not valid JSON");
    }

    @Test
    void constructorValidates() {
        assertThatThrownBy(() -> VaeConfig.of(3, 3, 4, List.of(), 1, 32))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("block_out_channels");
        assertThatThrownBy(() -> VaeConfig.of(3, 3, 0, List.of(32), 1, 32))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("latent_channels");
    }
}
