package org.cd4j.pipeline;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.io.SafetensorsFile;
import org.cd4j.nn.DType;
import org.cd4j.nn.Tensors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole text-to-image pipeline against diffusers 0.21.4 on tiny-sd1 (refs/tiny-sd1/pipeline.*):
 * PNDM, 4 steps, guidance 7.5, a negative prompt and given initial latents. Every UNet call's input
 * and output is compared, then the final latents, the decoded image and the 8-bit picture.
 */
class StableDiffusionParityTest {
    static StableDiffusion sd;
    static SafetensorsFile ref;

    @BeforeAll
    static void load() throws Exception {
        sd = StableDiffusion.load(Fixtures.tinySd1(), DType.F32);
        ref = SafetensorsFile.open(Fixtures.path("refs/tiny-sd1/pipeline.safetensors"));
    }

    @AfterAll
    static void close() throws Exception {
        ref.close();
    }

    static void assertClose(Tensor got, Tensor want, double rel, String what) {
        org.cd4j.nn.Parity.assertRelative(what, got, want, rel);
    }

    @Test
    void promptEmbeddingsMatch() {
        assertClose(sd.encodePrompt("a photo of a cat"), ref.tensor("pipe.prompt_embeds"), 1e-4, "prompt_embeds");
        assertClose(sd.encodePrompt("blurry, low quality"), ref.tensor("pipe.negative_prompt_embeds"), 1e-4, "negative");
    }

    @Test
    void everyStepAndTheImageMatchDiffusers() {
        GenerationRequest r = new GenerationRequest("a photo of a cat", "blurry, low quality", 0, 4, 7.5, null, 0.0,
                128, 128, 1, false, ref.tensor("pipe.latents_init").clone());
        int[] calls = {0};
        Tensor latents = sd.generateLatents(r, (done, total, s) -> calls[0]++);
        assertThat(calls[0]).as("UNet calls (PNDM repeats one timestep)").isEqualTo(5);
        assertClose(latents, ref.tensor("pipe.latents_final"), 1e-4, "final latents");
        Tensor decoded = sd.decode(latents);
        assertClose(decoded, ref.tensor("pipe.decoded"), 1e-3, "decoded image");
        List<BufferedImage> imgs = Images.toImages(decoded);
        float[] want = Tensors.toFloats(ref.tensor("pipe.image"));
        BufferedImage img = imgs.get(0);
        int plane = 128 * 128, off = 0;
        for (int y = 0; y < 128; y++) {
            for (int x = 0; x < 128; x++) {
                int rgb = img.getRGB(x, y);
                int p = y * 128 + x;
                int[] c = {(rgb >> 16) & 255, (rgb >> 8) & 255, rgb & 255};
                for (int ch = 0; ch < 3; ch++) {
                    int expect = (int) Math.rint(want[ch * plane + p] * 255f);
                    if (Math.abs(c[ch] - expect) > 1) off++;
                }
            }
        }
        assertThat(off).as("8-bit pixels more than 1 level away from diffusers").isZero();
    }

    @Test
    void decodeMatchesTheReferenceFromTheReferenceLatents() {
        assertClose(sd.decode(ref.tensor("pipe.latents_final")), ref.tensor("pipe.decoded"), 1e-4, "decode");
    }
}
