package org.cd4j.concept;

import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.cd4j.concept.data.Batch;
import org.cd4j.concept.data.Sample;
import org.cd4j.io.SafetensorsFile;
import org.cd4j.io.SafetensorsWriter;
import org.cd4j.nn.DType;
import org.cd4j.nn.F;
import org.cd4j.nn.TensorDigest;
import org.cd4j.nn.Tensors;
import org.cd4j.nn.Torch;
import org.cd4j.vae.AutoencoderKL;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The VAE posterior of each training picture, as the moments {@code quant_conv(encoder(x))}
 * (mean and log-variance) the trainer samples its latents from. Every picture is encoded on its
 * own (batch of one), so a picture's moments are the same bits whichever batch it comes in, and
 * a reused copy equals a fresh encoding exactly.
 *
 * <p>A {@link Sample#reusable() reusable} picture (a class picture with a fixed crop, an instance
 * picture without zoom) yields at most two variants (plain and mirrored); each is encoded once
 * per run and kept in memory. A class picture's moments are also stored on disk beside it, in
 * {@value #DIR}{@code /<picture>.<key>.safetensors}, so the next run reads them instead of
 * encoding: the key covers the VAE encoder's weights (their SHA-256), its dtype, the autocast
 * dtype, the device, the libtorch thread count (kernels may split sums differently with another count), the
 * resolution and the variant; the file records the picture's SHA-256 and is recomputed and
 * replaced when the picture changed. The moments are cached, not a sample: the trainer still
 * draws the posterior noise from its generator at every step, so a run with the cache equals a
 * run without it bit for bit.
 */
public final class LatentCache implements AutoCloseable {
    /** The folder, beside the class pictures, that holds their cached moments. */
    public static final String DIR = ".cd4j-cache";
    static final String FORMAT = "cd4j-latent-moments";
    static final String VERSION = "1";
    private static final String TENSOR = "moments";

    /**
     * What the cache did in a run.
     *
     * @param encodes pictures run through the VAE encoder
     * @param memoryHits reuses of moments kept in memory
     * @param diskReads moments read from {@value #DIR} files
     * @param diskWrites {@value #DIR} files written (new or replacing stale ones)
     */
    public record Stats(int encodes, int memoryHits, int diskReads, int diskWrites) {}

    private final AutoencoderKL vae;
    private final boolean enabled;
    private final String computeKey;
    private final Consumer<String> log;
    private final Map<String, Tensor> memory = new HashMap<>();
    private final Map<Path, String> pictureHashes = new HashMap<>();
    private String encoderId;
    private boolean diskWritable = true;
    private int encodes;
    private int memoryHits;
    private int diskReads;
    private int diskWrites;

    /**
     * @param vae the model's VAE
     * @param amp the autocast dtype the trainer encodes under (F32: none)
     * @param enabled false to encode every picture at every step and touch no file
     * @param log receives one line when the cache folder cannot be written
     */
    public LatentCache(AutoencoderKL vae, DType amp, boolean enabled, Consumer<String> log) {
        this.vae = vae;
        this.enabled = enabled;
        this.log = log;
        DType weights = Tensors.dtype(vae.namedParameters().values().iterator().next());
        this.computeKey = "vae-dtype=" + weights + "|autocast=" + amp + "|device=" + vae.device() + "|threads=" + Torch.threads();
    }

    /** (B, 2C, h, w): the moments of the batch's pictures in row order. */
    public Tensor moments(Batch b) {
        Tensor[] rows = new Tensor[b.size()];
        for (int i = 0; i < rows.length; i++) rows[i] = moments(b.samples().get(i));
        return rows.length == 1 ? rows[0] : F.cat(0, rows);
    }

    /** (1, 2C, h, w): one picture's moments, reused when possible. */
    public Tensor moments(Sample s) {
        if (!enabled || !s.reusable()) return encode(s);
        String key = s.cacheKey();
        Tensor m = memory.get(key);
        if (m != null) {
            memoryHits++;
            return m;
        }
        m = s.isPrior() ? read(s) : null;
        if (m == null) {
            m = encode(s);
            if (s.isPrior()) write(s, m);
        }
        m.retainReference(); // outlives the step's PointerScope; released by close()
        memory.put(key, m);
        return m;
    }

    /** What the cache has done so far. */
    public Stats stats() {
        return new Stats(encodes, memoryHits, diskReads, diskWrites);
    }

    private Tensor encode(Sample s) {
        encodes++;
        try (NoGradGuard g = new NoGradGuard()) {
            Tensor px = Tensors.fromFloats(s.pixels(), 1, 3, s.size(), s.size());
            return vae.encodeMoments(px);
        }
    }

    /** The cache file of a class picture's variant; {@code key} is what its content depends on. */
    Path file(Sample s, String key) {
        String tag = HexFormat.of().formatHex(TensorDigest.newSha256().digest(key.getBytes(StandardCharsets.UTF_8)), 0, 8);
        return s.source().toAbsolutePath().getParent().resolve(DIR).resolve(s.source().getFileName() + "." + tag + ".safetensors");
    }

    private String key(Sample s) {
        if (encoderId == null) {
            Map<String, Tensor> enc = new LinkedHashMap<>();
            vae.namedParameters().forEach((k, v) -> {
                if (k.startsWith("encoder.") || k.startsWith("quant_conv.")) enc.put(k, v);
            });
            encoderId = TensorDigest.sha256(enc);
        }
        return FORMAT + "|v" + VERSION + "|encoder=" + encoderId + "|" + computeKey + "|" + s.variant();
    }

    /** The cached moments of {@code s}, or null when there are none, they are stale or unreadable. */
    private Tensor read(Sample s) {
        String key = key(s);
        Path f = file(s, key);
        if (!Files.isRegularFile(f)) return null;
        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            Map<String, String> meta = sf.metadata();
            if (!key.equals(meta.get("key")) || !pictureHash(s.source()).equals(meta.get("picture-sha256"))) return null;
            long[] want = {1, 2L * vae.config().latentChannels(), s.maskSize(), s.maskSize()};
            if (!Arrays.equals(sf.info(TENSOR).shape(), want)) return null;
            Tensor m;
            try (NoGradGuard g = new NoGradGuard()) {
                m = vae.device().put(sf.tensor(TENSOR).clone()); // own the values: the mapping goes with the file
            }
            diskReads++;
            return m;
        } catch (IOException | RuntimeException e) {
            return null; // a damaged or foreign file: encode again and replace it
        }
    }

    private void write(Sample s, Tensor m) {
        if (!diskWritable) return;
        String key = key(s);
        Path f = file(s, key);
        try {
            Files.createDirectories(f.getParent());
            SafetensorsWriter.write(f, Map.of(TENSOR, m), Map.of("format", FORMAT, "version", VERSION, "key", key,
                    "picture", s.source().getFileName().toString(), "picture-sha256", pictureHash(s.source())), true);
            diskWrites++;
        } catch (IOException | RuntimeException e) {
            diskWritable = false;
            log.accept("cannot write the latent cache beside " + s.source() + " (" + e.getMessage()
                    + "); class latents are kept in memory for this run only");
        }
    }

    private String pictureHash(Path picture) throws IOException {
        String h = pictureHashes.get(picture);
        if (h == null) {
            MessageDigest sha = TensorDigest.newSha256();
            try (InputStream in = Files.newInputStream(picture)) {
                byte[] buf = new byte[1 << 16];
                for (int n; (n = in.read(buf)) > 0; ) sha.update(buf, 0, n);
            }
            h = HexFormat.of().formatHex(sha.digest());
            pictureHashes.put(picture, h);
        }
        return h;
    }

    /** Releases the moments kept in memory. */
    @Override
    public void close() {
        for (Tensor t : memory.values()) t.releaseReference();
        memory.clear();
    }
}
