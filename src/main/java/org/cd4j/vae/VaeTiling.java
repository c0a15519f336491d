package org.cd4j.vae;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.F;
import org.cd4j.nn.Scopes;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * Tiled VAE decoding and encoding for large images, as diffusers' {@code AutoencoderKL}
 * ({@code enable_tiling()}, {@code tiled_decode}, {@code tiled_encode}, 0.21 to today): the input
 * is cut into overlapping square tiles that go through the VAE one at a time, so memory is one
 * tile's whatever the image size; each tile's first rows and columns are then faded in linearly
 * from its upper and left neighbours (already blended, in row-major order) and the tiles are
 * cropped and joined.
 *
 * <p>Sizes, from the config as diffusers takes them: a pixel tile of {@code sample_size}
 * ({@code tile_sample_min_size}, 512 for SD), a latent tile of {@code sample_size / 2^(levels-1)}
 * ({@code tile_latent_min_size}, 64), overlap factor 0.25. Decoding steps through the latents by
 * {@code int(64 · 0.75) = 48}, blends over {@code int(512 · 0.25) = 128} pixels and keeps
 * {@code 512 - 128 = 384} of each tile; encoding steps by 384 pixels, blends over 16 latent cells
 * and keeps 48. Only inputs larger than one tile are tiled (diffusers' rule). Tiles are decoded
 * independently (their group norms see only the tile), so a tiled image differs from the
 * untiled one near and across seams; far inside a tile it is the same.
 */
public final class VaeTiling {
    /** When to tile. */
    public enum Mode {
        /** Tile inputs larger than one tile once the image exceeds {@link #AUTO_PIXELS}. */
        AUTO,
        /** Tile every input larger than one tile (diffusers' {@code enable_tiling()}). */
        ON,
        /** Never tile (diffusers' default). */
        OFF;

        /** The flag value: auto, on, off. */
        public String flag() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** Parses a flag value; the exception names the accepted values. */
        public static Mode parse(String s) {
            for (Mode m : values()) if (m.flag().equals(s == null ? "" : s.trim().toLowerCase(Locale.ROOT))) return m;
            throw new IllegalArgumentException("'" + s + "' is not a VAE tiling mode (expected auto, on or off)");
        }
    }

    /**
     * 2048 × 2048: above this many pixels {@link Mode#AUTO} tiles. An untiled SD decode grows
     * about 3.6 GiB per megapixel (3.77 GiB at 1024 × 1024, docs/BENCHMARKS.md), ~15 GiB here;
     * below, images stay diffusers' untiled ones.
     */
    public static final long AUTO_PIXELS = 2048L * 2048L;

    /** diffusers' {@code tile_overlap_factor}. */
    public static final double OVERLAP = 0.25;

    private final int sampleTile;
    private final int latentTile;
    private final double overlap;

    /**
     * @param sampleTile pixel tile side ({@code tile_sample_min_size})
     * @param latentTile latent tile side ({@code tile_latent_min_size})
     * @param overlap    share of a tile shared with its neighbour ({@code tile_overlap_factor})
     */
    public VaeTiling(int sampleTile, int latentTile, double overlap) {
        if (!(overlap >= 0 && overlap < 1)) throw new IllegalArgumentException("tile overlap must be in [0, 1), got " + overlap);
        if (stride(sampleTile, overlap) < 1 || stride(latentTile, overlap) < 1) {
            throw new IllegalArgumentException("VAE tiles of " + sampleTile + " pixels / " + latentTile
                    + " latent cells are too small to step through with overlap " + overlap);
        }
        this.sampleTile = sampleTile;
        this.latentTile = latentTile;
        this.overlap = overlap;
    }

    /** diffusers' tile sizes for a VAE config. */
    public static VaeTiling of(VaeConfig c) {
        return new VaeTiling(c.sampleSize(), c.sampleSize() / c.downscaleFactor(), OVERLAP);
    }

    public int sampleTile() {
        return sampleTile;
    }

    public int latentTile() {
        return latentTile;
    }

    /** Whether {@code mode} tiles a decode of latents (…, h, w) into an image {@code factor} times larger. */
    public boolean tilesDecode(Mode mode, long h, long w, int factor) {
        return tiles(mode, h, w, latentTile, h * factor * w * factor);
    }

    /** Whether {@code mode} tiles an encode of an (…, H, W) image. */
    public boolean tilesEncode(Mode mode, long h, long w) {
        return tiles(mode, h, w, sampleTile, h * w);
    }

    private static boolean tiles(Mode mode, long h, long w, int tile, long pixels) {
        boolean larger = h > tile || w > tile;
        return switch (mode) {
            case OFF -> false;
            case ON -> larger;
            case AUTO -> larger && pixels > AUTO_PIXELS;
        };
    }

    /**
     * {@code tiled_decode}: latents (B, C, h, w) through {@code decode} tile by tile.
     *
     * @param decode latents (B, C, t, t) → image (B, 3, t·f, t·f), untiled
     */
    public Tensor decode(Tensor z, UnaryOperator<Tensor> decode) {
        return tiled(z, latentTile, sampleTile, decode);
    }

    /**
     * {@code tiled_encode}: image (B, 3, H, W) through {@code encodeMoments} tile by tile; the
     * moments are blended (before the posterior is formed), as diffusers does.
     */
    public Tensor encodeMoments(Tensor x, UnaryOperator<Tensor> encodeMoments) {
        return tiled(x, sampleTile, latentTile, encodeMoments);
    }

    private static int stride(int tile, double overlap) {
        return (int) (tile * (1 - overlap)); // Python's int(): truncation
    }

    private Tensor tiled(Tensor in, int inTile, int outTile, UnaryOperator<Tensor> pass) {
        int stride = stride(inTile, overlap);          // overlap_size
        int blend = (int) (outTile * overlap);         // blend_extent
        int limit = outTile - blend;                   // row_limit
        long h = in.size(2), w = in.size(3);
        List<List<Tensor>> rows = new ArrayList<>();
        for (long i = 0; i < h; i += stride) {
            List<Tensor> row = new ArrayList<>();
            for (long j = 0; j < w; j += stride) {
                Tensor tile = in.narrow(2, i, Math.min(inTile, h - i)).narrow(3, j, Math.min(inTile, w - j));
                row.add(Scopes.keep(() -> pass.apply(tile))); // one tile's activations at a time
            }
            rows.add(row);
        }
        List<Tensor> joined = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            List<Tensor> row = rows.get(i);
            List<Tensor> cropped = new ArrayList<>();
            for (int j = 0; j < row.size(); j++) {
                // in place, as diffusers: later neighbours blend with this tile's blended values
                Tensor tile = row.get(j);
                if (i > 0) blendV(rows.get(i - 1).get(j), tile, blend);
                if (j > 0) blendH(row.get(j - 1), tile, blend);
                cropped.add(tile.narrow(2, 0, Math.min(limit, tile.size(2))).narrow(3, 0, Math.min(limit, tile.size(3))));
            }
            joined.add(F.cat(cropped, 3));
        }
        return F.cat(joined, 2);
    }

    /** diffusers' {@code blend_v}: {@code b}'s first rows faded in from {@code a}'s last rows, in place; returns {@code b}. */
    static Tensor blendV(Tensor a, Tensor b, int extent) {
        return blend(a, b, extent, 2);
    }

    /** diffusers' {@code blend_h}: {@code b}'s first columns faded in from {@code a}'s last columns, in place; returns {@code b}. */
    static Tensor blendH(Tensor a, Tensor b, int extent) {
        return blend(a, b, extent, 3);
    }

    /** Row by row as diffusers writes it, so every element gets the same two roundings. */
    private static Tensor blend(Tensor a, Tensor b, int extent, int dim) {
        long e = Math.min(Math.min(a.size(dim), b.size(dim)), extent);
        try (PointerScope scope = new PointerScope()) {
            for (long y = 0; y < e; y++) {
                double t = (double) y / e;
                Tensor row = b.narrow(dim, y, 1);
                row.copy_(F.mul(a.narrow(dim, a.size(dim) - e + y, 1), 1 - t).add(F.mul(row, t)));
            }
        }
        return b;
    }
}
