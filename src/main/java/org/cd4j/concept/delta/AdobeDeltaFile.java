package org.cd4j.concept.delta;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.io.FormatException;
import org.cd4j.io.TorchPickleReader;
import org.cd4j.io.TorchPickleWriter;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * adobe-research/custom-diffusion's diffusers-path delta ({@code delta.bin},
 * {@code delta-<step>.bin}; reference §1.7 and "Formats" 4): {@code torch.save({'unet': {param:
 * W}, 'modifier_token': {'<new1>': row, …}})}, and the compressed variant of §1.8 where each
 * key/value weight is {@code {'u': (out, r), 'v': (r, in)}} with {@code W = W0 + u@v} (the
 * other weights stay absolute). An optional {@code 'text_encoder'} state dict is ignored with a
 * warning (the reference trainer never writes it). The format holds cross-attention weights only:
 * a {@code none} (full-UNet) delta is refused; a token-only ({@code all}) delta is written with an
 * empty {@code 'unet'} dict, which the reference's {@code load_model} reads (it adds the tokens
 * and copies no weight).
 */
public final class AdobeDeltaFile {
    private AdobeDeltaFile() {}

    /** Reads a delta.bin. */
    public static ConceptDelta read(Path file, List<String> warnings) throws IOException {
        return fromTorch(file, TorchPickleReader.readDict(file, TorchPickleReader.Mode.LENIENT), warnings);
    }

    /** Builds the delta from a read {@code delta.bin} structure (top-level dict with {@code 'unet'}). */
    static ConceptDelta fromTorch(Path file, Map<String, Object> root, List<String> warnings) throws FormatException {
        if (!(root.get("unet") instanceof Map<?, ?> unet)) {
            throw new FormatException(file, "'unet' holds " + AdobeDeltaFile.kind(root.get("unet"))
                    + ", expected a dict of UNet weights (adobe delta.bin)");
        }
        for (String k : root.keySet()) {
            if (k.equals("text_encoder")) {
                warnings.add(file + ": ignoring its 'text_encoder' weights (a delta trained with --train_text_encoder;"
                        + " cd4j applies only the UNet weights and the modifier tokens)");
            } else if (!k.equals("unet") && !k.equals("modifier_token")) {
                warnings.add(file + ": ignoring unknown entry '" + k + "'");
            }
        }
        Map<String, DeltaWeight> weights = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : unet.entrySet()) {
            String name = (String) e.getKey();
            weights.put(name, weight(file, "unet/" + name, e.getValue()));
        }
        Map<String, Tensor> tokens = new LinkedHashMap<>();
        Object mt = root.get("modifier_token");
        if (mt != null && !(mt instanceof Map<?, ?>)) {
            throw new FormatException(file, "'modifier_token' holds " + AdobeDeltaFile.kind(mt) + ", expected a dict token → row");
        }
        if (mt instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                String tok = (String) e.getKey();
                if (e.getValue() instanceof List<?>) throw TokenFiles.sdxl(file, tok);
                if (!(e.getValue() instanceof Tensor row)) {
                    throw new FormatException(file, "modifier_token/" + tok + " holds " + AdobeDeltaFile.kind(e.getValue())
                            + ", expected an embedding row");
                }
                tokens.put(tok, row);
            }
        }
        try {
            CrossAttnParams.checkAll(weights.keySet(), "unet"); // the format holds cross-attention weights only
            return new ConceptDelta(weights, tokens, DeltaInfo.empty());
        } catch (IllegalArgumentException e) {
            throw new FormatException(file, "is not a valid delta: " + e.getMessage(), e);
        }
    }

    /** A short description of a read value for messages: "a tensor", "a dict", "a list" … */
    static String kind(Object o) {
        if (o == null) return "nothing";
        if (o instanceof Tensor) return "a tensor";
        if (o instanceof Map<?, ?>) return "a dict";
        if (o instanceof List<?>) return "a list";
        if (o instanceof org.cd4j.io.PickleObject p) return "a " + p.qualifiedName() + " object";
        return "a " + o.getClass().getSimpleName() + " (" + o + ")";
    }

    /** A tensor (absolute weight) or a {@code {'u', 'v'}} dict (low-rank change). */
    static DeltaWeight weight(Path file, String where, Object v) throws FormatException {
        try {
            if (v instanceof Tensor t) return DeltaWeight.full(t);
            if (v instanceof Map<?, ?> m && m.get("u") instanceof Tensor u && m.get("v") instanceof Tensor vv && m.size() == 2) {
                return DeltaWeight.lowRank(u, vv);
            }
        } catch (IllegalArgumentException e) {
            throw new FormatException(file, where + ": " + e.getMessage(), e);
        }
        String what = v instanceof Map<?, ?> m ? "a dict with keys " + m.keySet() : AdobeDeltaFile.kind(v);
        throw new FormatException(file, where + " holds " + what + ", expected a tensor or a {'u', 'v'} dict of factors");
    }

    /**
     * Whether the reference loader ({@code load_model(compress=True)}) can read {@code d} as a
     * compressed delta: every key/value weight low-rank, every other weight absolute.
     */
    static boolean compressible(ConceptDelta d) {
        for (Map.Entry<String, DeltaWeight> e : d.weights().entrySet()) {
            if (e.getValue().isLowRank() != CrossAttnParams.isKeyOrValue(e.getKey())) return false;
        }
        return true;
    }

    /**
     * The structure {@code torch.save} would write: full if every weight is absolute, compressed
     * when the reference can load it as such, otherwise absolute with low-rank weights expanded
     * against {@code base}.
     *
     * @throws IllegalArgumentException when expansion is needed and {@code base} is null
     */
    static Map<String, Object> toTorch(ConceptDelta d, BaseModel base) throws IOException {
        d.requireCrossAttentionOnly("the adobe delta.bin");
        if (d.hasLowRank() && !compressible(d)) {
            if (base == null) {
                throw new IllegalArgumentException("the delta mixes low-rank and absolute key/value weights (or has a"
                        + " low-rank to_q/to_out), which the adobe format cannot hold; it must be expanded with the base"
                        + " model's weights (give --model)");
            }
            d = d.expanded(base);
        }
        Map<String, Object> unet = new LinkedHashMap<>();
        for (Map.Entry<String, DeltaWeight> e : d.weights().entrySet()) {
            DeltaWeight w = e.getValue();
            if (w.isLowRank()) {
                Map<String, Object> uv = new LinkedHashMap<>();
                uv.put("u", w.u());
                uv.put("v", w.v());
                unet.put(e.getKey(), uv);
            } else {
                unet.put(e.getKey(), w.full());
            }
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("unet", unet);
        root.put("modifier_token", new LinkedHashMap<>(d.tokens())); // always present, as the reference writes it
        return root;
    }

    /** Writes {@code d} as an adobe delta.bin (see {@link #toTorch}). */
    public static void write(Path file, ConceptDelta d, BaseModel base, boolean overwrite) throws IOException {
        TorchPickleWriter.write(file, toTorch(d, base), overwrite);
    }
}
