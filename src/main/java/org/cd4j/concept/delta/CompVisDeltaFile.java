package org.cd4j.concept.delta;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.io.FormatException;
import org.cd4j.io.TorchPickleReader;
import org.cd4j.nn.Tensors;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * adobe-research/custom-diffusion's CompVis-path delta ({@code delta_epoch=N.ckpt},
 * {@code compressed_delta_epoch=N.ckpt}; reference §1.7, §1.8, "Formats" 1-3):
 * {@code {'state_dict': {'model.diffusion_model.<LDM key>': W or {'u','v'}, …, 'embed': (n, D)}}}
 * ({@code embed} may also sit at the top level, and may be flat (n·D) as convert.py writes it).
 * Keys are renamed to diffusers names with {@link UNetLayout}; the embedding rows become tokens
 * {@code <new1>} … {@code <newN>} in row order, which is how the CompVis path names them.
 */
public final class CompVisDeltaFile {
    static final String PREFIX = "model.diffusion_model.";

    private CompVisDeltaFile() {}

    /** Whether a read torch structure looks like a CompVis delta. */
    static boolean looksLike(Map<String, Object> root) {
        if (root.get("state_dict") instanceof Map<?, ?>) return true;
        return root.keySet().stream().anyMatch(k -> k.startsWith(PREFIX));
    }

    /** Reads a CompVis delta, mapping keys with {@code layout} (e.g. {@link UNetLayout#sd1()}). */
    public static ConceptDelta read(Path file, UNetLayout layout, List<String> warnings) throws IOException {
        return fromTorch(file, TorchPickleReader.readDict(file, TorchPickleReader.Mode.LENIENT), layout, warnings);
    }

    @SuppressWarnings("unchecked")
    static ConceptDelta fromTorch(Path file, Map<String, Object> root, UNetLayout layout, List<String> warnings)
            throws FormatException {
        Map<String, Object> sd = root.get("state_dict") instanceof Map<?, ?> m ? (Map<String, Object>) m : root;
        Object embed = sd.containsKey("embed") ? sd.get("embed") : root.get("embed");
        Map<String, DeltaWeight> weights = new LinkedHashMap<>();
        int skipped = 0;
        for (Map.Entry<String, Object> e : sd.entrySet()) {
            String key = e.getKey();
            if (key.equals("embed")) continue;
            if (!key.startsWith(PREFIX)) {
                skipped++;
                continue;
            }
            String ldm = key.substring(PREFIX.length());
            String name = layout.toDiffusers(ldm);
            if (name == null || !CrossAttnParams.isValid(name)) {
                throw new FormatException(file, "'" + key + "' is not a cross-attention weight of this UNet"
                        + " (a Custom Diffusion delta holds only …transformer_blocks.N.attn2.{to_k,to_v,to_q,to_out.0} weights;"
                        + " is this a full model checkpoint?)");
            }
            weights.put(name, AdobeDeltaFile.weight(file, key, e.getValue()));
        }
        if (skipped > 0) warnings.add(file + ": ignoring " + skipped + " entr(ies) outside model.diffusion_model");
        if (weights.isEmpty()) {
            throw new FormatException(file, "holds no 'model.diffusion_model.…attn2…' weights; keys: " + abbreviate(sd.keySet().toString()));
        }
        Map<String, Tensor> tokens = new LinkedHashMap<>();
        if (embed != null) {
            if (!(embed instanceof Tensor t)) {
                throw new FormatException(file, "'embed' holds " + AdobeDeltaFile.kind(embed) + ", expected a tensor (n, D)");
            }
            Tensor rows = rows(file, t, weights);
            for (int i = 0; i < rows.size(0); i++) tokens.put("<new" + (i + 1) + ">", rows.select(0, i).clone());
        } else {
            warnings.add(file + ": no 'embed' entry; the delta adds no token");
        }
        try {
            return new ConceptDelta(weights, tokens, DeltaInfo.empty());
        } catch (IllegalArgumentException e) {
            throw new FormatException(file, "is not a valid delta: " + e.getMessage(), e);
        }
    }

    /** (n, D) rows of {@code embed}; a flat (n·D) tensor is cut by the key/value input width. */
    private static Tensor rows(Path file, Tensor t, Map<String, DeltaWeight> weights) throws FormatException {
        if (t.dim() == 2) return t;
        if (t.dim() == 1) {
            long d = weights.entrySet().stream().filter(e -> CrossAttnParams.isKeyOrValue(e.getKey()))
                    .mapToLong(e -> e.getValue().shape()[1]).findFirst().orElse(t.numel());
            if (d > 0 && t.numel() % d == 0) return t.reshape(t.numel() / d, d);
        }
        throw new FormatException(file, "'embed' has shape " + Arrays.toString(Tensors.shape(t)) + ", expected (n, D)");
    }

    private static String abbreviate(String s) {
        return s.length() <= 300 ? s : s.substring(0, 297) + "...";
    }
}
