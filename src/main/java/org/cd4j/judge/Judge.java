package org.cd4j.judge;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.cd4j.io.SafetensorsFile;
import org.cd4j.io.SafetensorsWriter;
import org.cd4j.nn.Conv2d;
import org.cd4j.nn.F;
import org.cd4j.nn.GroupNorm;
import org.cd4j.nn.Linear;
import org.cd4j.nn.Module;
import org.cd4j.nn.Rng;
import org.cd4j.nn.Tensors;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * A small CNN that reads a 64×64 picture of the world and names what it shows: one head per
 * {@link Head} (category, colour, pattern, pattern colour, background, size, and which held-out
 * concept, if any), plus an embedding for image-to-image similarity (the role CLIP/DINO image
 * features play in the paper's image alignment).
 *
 * <p>Architecture: {@code conv_in} (3→32, stride 2: 32×32), then two stages each halving the side
 * with a stride-2 convolution and refining with a 3×3 one (32→64→96 channels, 8×8 at the end),
 * every convolution followed by GroupNorm and SiLU; global mean and max pooling side by side
 * (the object may cover a small part of the picture); a linear {@code embed} to
 * {@value #EMBEDDING} features (the embedding), and one linear head per attribute on its SiLU.
 * Inputs are RGB in [-1, 1], {@code (B, 3, 64, 64)}.
 *
 * <p>The trained weights ship with cd4j ({@link #load()}); {@code cd4j judge-train} reproduces them.
 */
public final class Judge extends Module {
    /** Side of the pictures the judge reads. */
    public static final int SIDE = 64;
    /** Length of the embedding. */
    public static final int EMBEDDING = 96;
    /**
     * Channels after {@code conv_in} and after each stage. {@code conv_in} halves the side at once,
     * which keeps training to a few CPU-minutes; its 3×3 kernels overlap, so no pixel is skipped
     * and the finest detail of the world (2–3 pixel dots and checks) survives.
     */
    static final int[] CHANNELS = {32, 64, 96};
    static final int GROUPS = 8;
    static final double EPS = 1e-5;
    /** Where the shipped weights live on the class path. */
    static final String RESOURCE = "/org/cd4j/judge/judge.safetensors";
    /** Pictures per forward pass in {@link #predict}, to bound memory. */
    private static final int CHUNK = 64;

    private final Conv2d convIn;
    private final GroupNorm normIn;
    private final List<Stage> stages = new ArrayList<>();
    private final Linear embed;
    private final Map<Head, Linear> heads = new EnumMap<>(Head.class);

    /** A judge with all-zero weights: {@link #initialise} or load weights before use. */
    public Judge() {
        convIn = child("conv_in", new Conv2d(3, CHANNELS[0], 3, 2, 1));
        normIn = child("norm_in", new GroupNorm(GROUPS, CHANNELS[0], EPS));
        Blocks blocks = child("stages", new Blocks());
        for (int i = 1; i < CHANNELS.length; i++) stages.add(blocks.add(i - 1, new Stage(CHANNELS[i - 1], CHANNELS[i])));
        embed = child("embed", new Linear(2L * CHANNELS[CHANNELS.length - 1], EMBEDDING, true));
        Blocks headBlock = child("heads", new Blocks());
        for (Head h : Head.values()) heads.put(h, headBlock.add(h.key(), new Linear(EMBEDDING, h.size(), true)));
    }

    /** The logits of every head, {@code (B, classes)}, and the embedding {@code (B, EMBEDDING)}. */
    public record Output(Map<Head, Tensor> logits, Tensor embedding) {}

    /** Runs the network on {@code x}: {@code (B, 3, 64, 64)} float32 in [-1, 1]. */
    public Output forward(Tensor x) {
        long[] s = Tensors.shape(x);
        if (s.length != 4 || s[1] != 3 || s[2] != SIDE || s[3] != SIDE) {
            throw new IllegalArgumentException("the judge reads (B, 3, 64, 64) pictures, got " + Arrays.toString(s));
        }
        Tensor h = F.silu(normIn.forward(convIn.forward(x)));
        for (Stage st : stages) h = st.forward(h);                 // (B, 96, 8, 8)
        long[] hw = {2, 3};
        Tensor pooled = F.cat(1, h.mean(hw, false, new org.bytedeco.pytorch.ScalarTypeOptional()),
                torch.amax(h, hw, false));                        // (B, 192)
        Tensor e = embed.forward(pooled);                         // (B, 96)
        Tensor a = F.silu(e);
        Map<Head, Tensor> logits = new EnumMap<>(Head.class);
        for (Map.Entry<Head, Linear> en : heads.entrySet()) logits.put(en.getKey(), en.getValue().forward(a));
        return new Output(logits, e);
    }

    /**
     * What the judge sees in each picture: every head's probabilities and the embedding. Pictures
     * of another size are resized to 64×64 first (they must be square; see {@link JudgeImages}).
     */
    public List<Prediction> predict(List<BufferedImage> images) {
        List<float[]> planes = new ArrayList<>(images.size());
        for (int i = 0; i < images.size(); i++) planes.add(JudgeImages.pixels(JudgeImages.to64(images.get(i), i)));
        return predictPixels(planes);
    }

    /** {@link #predict} of pictures already in {@link JudgeImages#pixels} form. */
    List<Prediction> predictPixels(List<float[]> planes) {
        List<Prediction> out = new ArrayList<>(planes.size());
        for (int from = 0; from < planes.size(); from += CHUNK) {
            List<float[]> part = planes.subList(from, Math.min(planes.size(), from + CHUNK));
            try (NoGradGuard g = new NoGradGuard(); PointerScope scope = new PointerScope()) {
                Output o = forward(JudgeImages.stack(part));
                Map<Head, float[]> probs = new EnumMap<>(Head.class);
                for (Head h : Head.values()) probs.put(h, Tensors.toFloats(F.softmax(o.logits().get(h), 1)));
                float[] emb = Tensors.toFloats(o.embedding());
                for (int i = 0; i < part.size(); i++) {
                    Map<Head, float[]> mine = new EnumMap<>(Head.class);
                    for (Head h : Head.values()) mine.put(h, Arrays.copyOfRange(probs.get(h), i * h.size(), (i + 1) * h.size()));
                    out.add(new Prediction(mine, Arrays.copyOfRange(emb, i * EMBEDDING, (i + 1) * EMBEDDING)));
                }
            }
        }
        return out;
    }

    /**
     * Fresh weights as PyTorch's constructors draw them: kernels and matrices
     * {@code U(±1/√fan_in)}, biases zero, norm scales one; every draw from one generator seeded
     * with {@code seed}, in parameter order.
     */
    public void initialise(long seed) {
        GeneratorOptional gen = new GeneratorOptional(Rng.seeded(seed).generator());
        try (NoGradGuard g = new NoGradGuard()) {
            for (Map.Entry<String, Tensor> e : namedParameters().entrySet()) {
                Tensor p = e.getValue();
                if (p.dim() >= 2) {
                    double bound = 1.0 / Math.sqrt(p.numel() / p.size(0)); // fan_in = in-features × kernel area
                    p.uniform_(-bound, bound, gen);
                } else if (e.getKey().endsWith("bias")) {
                    p.zero_();
                } else {
                    p.fill_(new Scalar(1.0));
                }
            }
        }
    }

    /** The judge with the weights shipped in cd4j. */
    public static Judge load() throws IOException {
        Path tmp = Files.createTempFile("cd4j-judge", ".safetensors");
        try {
            try (InputStream in = Judge.class.getResourceAsStream(RESOURCE)) {
                if (in == null) throw new IOException("the judge's weights " + RESOURCE + " are missing from the cd4j jar");
                Files.write(tmp, in.readAllBytes());
            }
            return load(tmp, "the shipped judge weights " + RESOURCE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** A judge with the weights of {@code file} (strict: every weight present, by name and shape, nothing else). */
    public static Judge load(Path file) throws IOException {
        return load(file, file.toString());
    }

    private static Judge load(Path file, String source) throws IOException {
        Judge j = new Judge();
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            j.loadStateDict(f.tensors(), source);
        }
        return j;
    }

    /** Writes the weights to {@code file} as safetensors with {@code metadata}; an existing file only with {@code overwrite}. */
    public void save(Path file, Map<String, String> metadata, boolean overwrite) throws IOException {
        SafetensorsWriter.write(file, namedParameters(), metadata, overwrite);
    }

    /** One resolution-halving stage: stride-2 convolution, then a 3×3 convolution, each with GroupNorm and SiLU. */
    private static final class Stage extends Module {
        private final Conv2d down;
        private final GroupNorm norm1;
        private final Conv2d conv;
        private final GroupNorm norm2;

        Stage(int in, int out) {
            down = child("down", new Conv2d(in, out, 3, 2, 1));
            norm1 = child("norm1", new GroupNorm(GROUPS, out, EPS));
            conv = child("conv", new Conv2d(out, out, 3, 1, 1));
            norm2 = child("norm2", new GroupNorm(GROUPS, out, EPS));
        }

        Tensor forward(Tensor x) {
            Tensor h = F.silu(norm1.forward(down.forward(x)));
            return F.silu(norm2.forward(conv.forward(h)));
        }
    }

    /** A named list of children ({@code stages.0}, {@code heads.category}). */
    private static final class Blocks extends Module {
        <M extends Module> M add(Object name, M m) {
            return child(String.valueOf(name), m);
        }
    }
}
