package org.cd4j.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** Hub downloads shown as a live bar on a terminal and as lines in a log. */
class DownloadProgressTest {
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    String shown() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aTerminalGetsABarPerFileFromWhereAResumedDownloadStands() {
        try (DownloadProgress p = new DownloadProgress(out, true)) {
            p.started("unet/diffusion_pytorch_model.safetensors", 4_000_000, 1_000_000);
            p.progress("unet/diffusion_pytorch_model.safetensors", 3_000_000, 4_000_000);
            p.progress("unet/diffusion_pytorch_model.safetensors", 4_000_000, 4_000_000);
            p.finished("unet/diffusion_pytorch_model.safetensors");
        }
        String s = shown();
        assertThat(s).contains("unet/diffusion_pytorch_model.safetensors").contains("100%").contains("4/4 MB");
        assertThat(s).as("a bar, not log lines").doesNotContain("downloaded ");
    }

    @Test
    void aLogGetsALinePerFileAndOneWhenALargeOrResumedFileStarts() {
        try (DownloadProgress p = new DownloadProgress(out, false)) {
            p.started("vae/config.json", 550, 0);
            p.progress("vae/config.json", 550, 550);
            p.finished("vae/config.json");
            p.started("unet/diffusion_pytorch_model.safetensors", 3_438_167_536L, 0);
            p.finished("unet/diffusion_pytorch_model.safetensors");
            p.started("text_encoder/model.safetensors", 4_500_000, 1_000_000);
            p.note("text_encoder/model.safetensors: connection lost at 2000000 of 4500000 bytes; resuming");
            p.finished("text_encoder/model.safetensors");
        }
        assertThat(shown().lines()).containsExactly(
                "downloaded vae/config.json (0.0 MB)",
                "downloading unet/diffusion_pytorch_model.safetensors (3438.2 MB)",
                "downloaded unet/diffusion_pytorch_model.safetensors (3438.2 MB)",
                "downloading text_encoder/model.safetensors (4.5 MB), resuming at 1.0 MB",
                "text_encoder/model.safetensors: connection lost at 2000000 of 4500000 bytes; resuming",
                "downloaded text_encoder/model.safetensors (4.5 MB)");
    }
}
