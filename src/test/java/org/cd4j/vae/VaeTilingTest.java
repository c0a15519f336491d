package org.cd4j.vae;

import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.DType;
import org.cd4j.nn.Rng;
import org.cd4j.nn.Tensors;
import org.cd4j.vae.VaeTiling.Mode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * diffusers' tiled decode and encode on the tiny VAE (sample_size 128, 4 levels: 16-cell latent
 * tiles, 128-pixel image tiles). Tiles are decoded independently, so the expected values are
 * single-tile decodes, unchanged where no neighbour overlaps and blended by diffusers' formula
 * where one does.
 */
class VaeTilingTest {
    static AutoencoderKL vae;

    @BeforeAll
    static void setUp() throws IOException {
        vae = AutoencoderKL.load(VaeTestSupport.VAE, DType.F32);
    }

    @AfterEach
    void restore() {
        vae.setTiling(Mode.AUTO);
    }

    @Test
    void tileSizesAreDiffusers() {
        assertThat(vae.tiling().sampleTile()).isEqualTo(128);
        assertThat(vae.tiling().latentTile()).isEqualTo(16);
        VaeConfig sd = new VaeConfig(3, 3, 4, List.of(128, 256, 512, 512), Collections.nCopies(4, "DownEncoderBlock2D"),
                Collections.nCopies(4, "UpDecoderBlock2D"), 2, 32, "silu", 0.18215, 512, true, true);
        VaeTiling t = VaeTiling.of(sd);
        assertThat(t.sampleTile()).isEqualTo(512);
        assertThat(t.latentTile()).isEqualTo(64);
    }

    @Test
    void whenToTile() {
        VaeTiling t = vae.tiling();
        assertThat(t.tilesDecode(Mode.ON, 17, 16, 8)).isTrue();
        assertThat(t.tilesDecode(Mode.ON, 16, 16, 8)).as("one tile: untiled, as diffusers").isFalse();
        assertThat(t.tilesDecode(Mode.OFF, 400, 400, 8)).isFalse();
        assertThat(t.tilesDecode(Mode.AUTO, 256, 256, 8)).as("2048x2048: not above AUTO_PIXELS").isFalse();
        assertThat(t.tilesDecode(Mode.AUTO, 257, 256, 8)).isTrue();
        assertThat(t.tilesEncode(Mode.ON, 128, 129)).isTrue();
        assertThat(t.tilesEncode(Mode.AUTO, 1024, 1024)).isFalse();
        assertThat(Mode.parse(" On ")).isEqualTo(Mode.ON);
        assertThatThrownBy(() -> Mode.parse("yes")).hasMessageContaining("'yes'").hasMessageContaining("auto, on or off");
        assertThatThrownBy(() -> new VaeTiling(1, 1, 0.25)).hasMessageContaining("too small");
    }

    /** blend_v on a hand example: rows of a = 1..4, of b = 100..400, extent 3. */
    @Test
    void blendIsDiffusersFormulaRowByRow() {
        Tensor a = Tensors.fromFloats(rows(1, 2, 3, 4), 1, 1, 4, 2);
        Tensor b = Tensors.fromFloats(rows(100, 200, 300, 400), 1, 1, 4, 2);
        float[] got = Tensors.toFloats(VaeTiling.blendV(a, b, 3));
        // b[y] = a[-3 + y] * (1 - y/3) + b[y] * (y/3), each product rounded to float as torch does
        float[] want = {2f, 3f * (float) (1 - 1 / 3.0) + 200f * (float) (1 / 3.0), 4f * (float) (1 - 2 / 3.0) + 300f * (float) (2 / 3.0), 400f};
        for (int y = 0; y < 4; y++) {
            assertThat(got[2 * y]).as("row " + y).isEqualTo(want[y]);
            assertThat(got[2 * y + 1]).isEqualTo(want[y]);
        }
        // blend_h is the same along columns; an extent beyond the tiles is cut to them (here 2)
        Tensor left = Tensors.fromFloats(new float[] {1, 2, 1, 2}, 1, 1, 2, 2);
        Tensor right = Tensors.fromFloats(new float[] {10, 20, 10, 20}, 1, 1, 2, 2);
        assertThat(Tensors.toFloats(VaeTiling.blendH(left, right, 5))).containsExactly(1f, 2f * 0.5f + 20f * 0.5f, 1f, 11f);
    }

    private static float[] rows(float... v) {
        float[] out = new float[v.length * 2];
        for (int i = 0; i < v.length; i++) out[2 * i] = out[2 * i + 1] = v[i];
        return out;
    }

    /**
     * 32×32 latents: tiles start at 0, 12, 24 (stride int(16·0.75)), decode to 128, 128 and 64
     * pixels, blend over 32 pixels and keep 96: 96 + 96 + 64 = 256.
     */
    @Test
    void tiledDecodeIsSingleTileDecodesBlended() {
        Tensor z = Rng.seeded(3).randn(1, 4, 32, 32);
        try (NoGradGuard g = new NoGradGuard()) {
            vae.setTiling(Mode.OFF);
            Tensor untiled = vae.decode(z);
            Tensor t00 = vae.decode(crop(z, 0, 0, 16));   // (1, 3, 128, 128)
            Tensor t01 = vae.decode(crop(z, 0, 12, 16));
            Tensor t11 = vae.decode(crop(z, 12, 12, 16));
            vae.setTiling(Mode.ON);
            assertThat(vae.tilesDecode(32, 32)).isTrue();
            Tensor tiled = vae.decode(z);
            assertThat(Tensors.shape(tiled)).containsExactly(1, 3, 256, 256);

            // tile (0,0) is never blended into: its first 96×96 pixels are the output's
            assertThat(Tensors.maxAbsDiff(crop(tiled, 0, 0, 96), crop(t00, 0, 0, 96))).isZero();
            // tile (1,1) beyond its 32 blended rows and columns: output [128, 192)²
            assertThat(Tensors.maxAbsDiff(crop(tiled, 128, 128, 64), crop(t11, 32, 32, 64))).isZero();
            // its first rows, right of the blended columns: faded in from tile (0,1)'s rows 96…127
            float[] out = Tensors.toFloats(tiled), above = Tensors.toFloats(t01), own = Tensors.toFloats(t11);
            for (int y = 0; y < 32; y++) {
                for (int x = 32; x < 96; x++) {
                    float t = (float) (y / 32.0), s = (float) (1 - y / 32.0);
                    float want = above[(96 + y) * 128 + x] * s + own[y * 128 + x] * t; // channel 0
                    assertThat(out[(96 + y) * 256 + 96 + x]).as("row %d col %d", y, x).isEqualTo(want);
                }
            }
            // each tile's group norms see only the tile, so even far from the seams the tiled image is not
            // the untiled one (how far depends on the weights; the tiny VAE's are random)
            assertThat(Tensors.maxAbsDiff(crop(tiled, 0, 0, 64), crop(untiled, 0, 0, 64))).isGreaterThan(0);
        }
    }

    /** Any size: tiles are cut short at the edges and the output keeps 8× the latent size. */
    @Test
    void oddSizesKeepTheirShapeAndAutoLeavesSmallImagesUntiled() {
        Tensor z = Rng.seeded(4).randn(2, 4, 20, 37);
        try (NoGradGuard g = new NoGradGuard()) {
            vae.setTiling(Mode.ON);
            assertThat(Tensors.shape(vae.decode(z))).containsExactly(2, 3, 160, 296);
            vae.setTiling(Mode.AUTO);
            Tensor auto = vae.decode(z);
            vae.setTiling(Mode.OFF);
            assertThat(Tensors.maxAbsDiff(auto, vae.decode(z))).isZero();
        }
    }

    /** 256×256 pixels: tiles at 0, 96, 192; moments blended over 4 cells, 12 kept per tile. */
    @Test
    void tiledEncodeBlendsMoments() {
        Tensor x = Rng.seeded(5).rand(new long[] {1, 3, 256, 256}).mul(new org.bytedeco.pytorch.Scalar(2)).sub(new org.bytedeco.pytorch.Scalar(1));
        try (NoGradGuard g = new NoGradGuard()) {
            vae.setTiling(Mode.OFF);
            Tensor first = vae.encodeMoments(crop(x, 0, 0, 128)); // (1, 8, 16, 16)
            vae.setTiling(Mode.ON);
            Tensor tiled = vae.encodeMoments(x);
            assertThat(Tensors.shape(tiled)).containsExactly(1, 8, 32, 32);
            assertThat(Tensors.maxAbsDiff(crop(tiled, 0, 0, 12), crop(first, 0, 0, 12))).isZero();
            assertThat(Tensors.shape(vae.encode(x).mean())).containsExactly(1, 4, 32, 32);
        }
    }

    /** t[:, :, i:i+n, j:j+n]. */
    private static Tensor crop(Tensor t, long i, long j, long n) {
        return t.narrow(2, i, n).narrow(3, j, n);
    }
}
