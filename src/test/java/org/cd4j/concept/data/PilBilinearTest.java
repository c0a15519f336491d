package org.cd4j.concept.data;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PilBilinearTest {
    static RgbImage image(int w, int h, int... values) {
        byte[] d = new byte[values.length];
        for (int i = 0; i < d.length; i++) d[i] = (byte) values[i];
        return new RgbImage(w, h, d);
    }

    static int[] unsigned(RgbImage img) {
        int[] out = new int[img.data().length];
        for (int i = 0; i < out.length; i++) out[i] = img.data()[i] & 0xFF;
        return out;
    }

    @Test
    void upscale2x2To4x4ByHand() {
        // Upscaling has no antialiasing: output pixel i samples input position (i + 0.5) / 2 - 0.5,
        // so the weights along each axis are (1, 0), (3/4, 1/4), (1/4, 3/4), (0, 1), edges
        // clamped. PIL runs the horizontal pass first and rounds it to 8 bits (half up).
        int[] in = {0, 0, 0, 200, 100, 40, 100, 20, 80, 40, 240, 0};
        RgbImage out = PilBilinear.resize(image(2, 2, in), 4, 4);
        double[][] wts = {{1, 0}, {0.75, 0.25}, {0.25, 0.75}, {0, 1}};
        int[] expected = new int[48];
        for (int c = 0; c < 3; c++) {
            int[][] horiz = new int[2][4];
            for (int y = 0; y < 2; y++) {
                for (int x = 0; x < 4; x++) {
                    double v = wts[x][0] * in[(y * 2) * 3 + c] + wts[x][1] * in[(y * 2 + 1) * 3 + c];
                    horiz[y][x] = (int) Math.floor(v + 0.5);
                }
            }
            for (int y = 0; y < 4; y++) {
                for (int x = 0; x < 4; x++) {
                    double v = wts[y][0] * horiz[0][x] + wts[y][1] * horiz[1][x];
                    expected[(y * 4 + x) * 3 + c] = (int) Math.floor(v + 0.5);
                }
            }
        }
        assertThat(unsigned(out)).containsExactly(expected);
        // The same numbers from PIL 9.4: Image.fromarray(b).resize((4, 4), Image.BILINEAR).
        assertThat(unsigned(out)).containsExactly(0, 0, 0, 50, 25, 10, 150, 75, 30, 200, 100, 40, 25, 5, 20, 59, 38, 23,
                126, 103, 28, 160, 135, 30, 75, 15, 60, 76, 63, 48, 79, 158, 23, 80, 205, 10, 100, 20, 80, 85, 75, 60,
                55, 185, 20, 40, 240, 0);
    }

    /** A 5 x 3 picture with value (71y + 29x + 113c) mod 256. */
    static RgbImage ramp() {
        int[] v = new int[45];
        for (int y = 0; y < 3; y++) {
            for (int x = 0; x < 5; x++) {
                for (int c = 0; c < 3; c++) v[(y * 5 + x) * 3 + c] = (y * 71 + x * 29 + c * 113) % 256;
            }
        }
        return image(5, 3, v);
    }

    @Test
    void downscaleMatchesPil() {
        // PIL 9.4: Image.fromarray(ramp).resize((3, 2), Image.BILINEAR); the triangle filter is
        // widened by the downscale factor (antialiasing), which a plain 2x2 blend would miss.
        assertThat(unsigned(PilBilinear.resize(ramp(), 3, 2))).containsExactly(
                39, 152, 169, 85, 176, 90, 131, 148, 101, 127, 172, 97, 173, 105, 143, 128, 76, 189);
    }

    @Test
    void mixedScalesMatchPil() {
        // PIL 9.4: resize((8, 4)): wider and taller, non-integer factors.
        assertThat(unsigned(PilBilinear.resize(ramp(), 8, 4))).containsExactly(
                0, 113, 226, 13, 126, 239, 31, 144, 241, 49, 162, 99, 67, 180, 37, 85, 198, 55, 103, 216, 73, 116, 229, 86,
                44, 157, 110, 57, 170, 123, 75, 188, 135, 93, 206, 93, 111, 174, 81, 129, 92, 99, 147, 100, 117, 160, 113, 130,
                98, 211, 68, 111, 182, 81, 129, 146, 99, 147, 164, 117, 165, 132, 135, 183, 50, 153, 147, 58, 171, 118, 71, 184,
                142, 255, 112, 155, 156, 125, 173, 30, 143, 191, 48, 161, 209, 66, 179, 227, 84, 197, 101, 102, 215, 2, 115, 228);
    }

    @Test
    void sameSizeIsIdentityAndFlatStaysFlat() {
        RgbImage r = ramp();
        assertThat(PilBilinear.resize(r, 5, 3)).isSameAs(r);
        int[] flat = new int[7 * 5 * 3];
        java.util.Arrays.fill(flat, 173);
        for (int[] s : new int[][] {{3, 2}, {19, 11}, {1, 1}, {7, 20}}) {
            assertThat(unsigned(PilBilinear.resize(image(7, 5, flat), s[0], s[1]))).containsOnly(173);
        }
    }

    @Test
    void rgbImageFlipAndCrop() {
        RgbImage r = ramp();
        RgbImage f = r.flipHorizontal();
        for (int y = 0; y < 3; y++) {
            for (int x = 0; x < 5; x++) {
                for (int c = 0; c < 3; c++) assertThat(f.get(x, y, c)).isEqualTo(r.get(4 - x, y, c));
            }
        }
        RgbImage c = r.crop(1, 1, 3, 2);
        assertThat(c.get(0, 0, 2)).isEqualTo(r.get(1, 1, 2));
        assertThat(c.get(2, 1, 0)).isEqualTo(r.get(3, 2, 0));
        assertThat(RgbImage.of(r.toBufferedImage()).data()).isEqualTo(r.data());
    }
}
