package org.cd4j.ldm;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.cd4j.io.FormatException;
import org.cd4j.ldm.LdmKeys.TextTower;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.cd4j.ldm.LdmKeys.UNET;
import static org.cd4j.ldm.LdmKeys.VAE;

/**
 * Reads a diffusers configuration off the weights of an SD-1.x/2.x single file: block structure
 * and widths from the shapes, SD-1 or SD-2 from the text tower (OpenAI CLIP under
 * {@code cond_stage_model.transformer.}, context 768; OpenCLIP under {@code cond_stage_model.model.},
 * context 1024), a linear or 1×1-convolution {@code proj_in}. What the weights cannot tell takes
 * the value the original LDM configs use: attention heads (SD-1: 8 per layer; SD-2: 64 channels
 * each), text heads (64 channels each), epsilon prediction, no attention upcast, 512-pixel images,
 * SD's PNDM schedule (for SD-2 the last three are placeholders that {@link Sd2Variant} settles
 * unless something states them). {@code modelspec.*} metadata (Stability's model-spec keys) states
 * prediction type and resolution. A value no rule gives (heads of a width that is not a multiple
 * of 64 …) is left to {@code --model-config} and reported if it is not given there.
 */
final class LdmInference {
    /**
     * What was inferred: the configs, the text tower, the fields that are only placeholders, and
     * the fields the file's {@code modelspec.*} metadata stated (as {@code section.field}).
     */
    record Result(ModelConfigs configs, TextTower tower, Map<String, String> unresolved, Set<String> stated) {}

    /** The depth of OpenCLIP ViT-H/14's text tower, SD-2's text encoder. */
    static final int OPEN_CLIP_H_BLOCKS = 24;

    private final Path file;
    private final Map<String, long[]> shapes;
    private final Map<String, String> unresolved = new LinkedHashMap<>();

    private LdmInference(Path file, Map<String, long[]> shapes) {
        this.file = file;
        this.shapes = shapes;
    }

    /**
     * Infers the configs of the checkpoint {@code file}, given its weights' shapes and its
     * safetensors metadata (empty for .ckpt).
     *
     * @throws FormatException when the file is not an SD-1.x/2.x checkpoint, saying what it holds
     */
    static Result infer(Path file, Map<String, long[]> shapes, Map<String, String> metadata) throws FormatException {
        Architecture.check(file, shapes.keySet(), metadata);
        LdmInference in = new LdmInference(file, shapes);
        TextTower tower = in.has(LdmKeys.OPEN_CLIP + "transformer.resblocks.0.ln_1.weight") ? TextTower.OPEN_CLIP : TextTower.CLIP;
        ObjectNode text = tower == TextTower.CLIP ? in.clip() : in.openClip();
        ObjectNode unet = in.unet(tower);
        ObjectNode vae = in.vae();
        ObjectNode sched = SdDefaults.scheduler();
        Set<String> stated = new TreeSet<>();
        String prediction = metadata.getOrDefault("modelspec.prediction_type", "");
        String architecture = metadata.getOrDefault("modelspec.architecture", "");
        if (prediction.equals("v") || architecture.endsWith("-v")) {
            sched.put("prediction_type", "v_prediction");
        }
        if (prediction.equals("v") || prediction.equals("epsilon") || architecture.startsWith("stable-diffusion-v2")) {
            stated.add("scheduler.prediction_type"); // "stable-diffusion-v2-512" says epsilon as plainly as "-768-v" says v
        }
        String resolution = metadata.getOrDefault("modelspec.resolution", "");
        if (resolution.matches("\\d+x\\d+")) {
            unet.put("sample_size", Integer.parseInt(resolution.substring(0, resolution.indexOf('x'))) / 8);
            stated.add("unet.sample_size");
        }
        return new Result(new ModelConfigs(unet, vae, text, sched), tower, in.unresolved, stated);
    }

    // ------------------------------------------------------------------ UNet

    private ObjectNode unet(TextTower tower) throws FormatException {
        String p = UNET;
        List<Integer> channels = new ArrayList<>();
        List<Integer> layers = new ArrayList<>();
        List<Boolean> downAttn = new ArrayList<>();
        List<Integer> depth = new ArrayList<>();
        int k = 1;
        int level = 0;
        while (hasPrefix(p + "input_blocks." + k + ".")) {
            if (has(p + "input_blocks." + k + ".0.op.weight")) { // a downsampler ends the level
                level++;
                k++;
                continue;
            }
            String res = p + "input_blocks." + k + ".0.";
            int ch = (int) shape(res + "out_layers.3.weight")[0];
            boolean attn = has(p + "input_blocks." + k + ".1.proj_in.weight");
            if (level == channels.size()) {
                channels.add(ch);
                layers.add(0);
                downAttn.add(attn);
                depth.add(attn ? count(p + "input_blocks." + k + ".1.transformer_blocks.") : 1);
            } else if (channels.get(level) != ch || downAttn.get(level) != attn) {
                throw new FormatException(file, "input_blocks." + k + " differs in width or attention from the other"
                        + " blocks of its level; not an SD-1.x/2.x UNet");
            }
            layers.set(level, layers.get(level) + 1);
            k++;
        }
        if (channels.isEmpty()) throw new FormatException(file, "has no UNet blocks (" + p + "input_blocks.1.*)");
        int n = channels.size();
        List<Boolean> upAttn = new ArrayList<>();
        int o = 0;
        for (int u = 0; u < n; u++) {
            int count = layers.get(n - 1 - u) + 1;
            upAttn.add(has(p + "output_blocks." + o + ".1.proj_in.weight"));
            for (int j = 0; j < count; j++, o++) {
                if (!has(p + "output_blocks." + o + ".0.out_layers.3.weight")) {
                    throw new FormatException(file, "has no " + p + "output_blocks." + o + " resnet; its output blocks do not"
                            + " mirror its " + n + " input levels " + layers + " as an SD-1.x/2.x UNet's do");
                }
            }
        }
        if (!has(p + "middle_block.1.proj_in.weight")) {
            throw new FormatException(file, "has no transformer in the UNet's middle block (" + p + "middle_block.1.*);"
                    + " SD-1.x/2.x UNets have one");
        }
        String anyAttn = firstKeyEndingWith(p, ".attn2.to_k.weight");
        long[] projIn = shape(p + "middle_block.1.proj_in.weight");
        long[] convIn = shape(p + "input_blocks.0.0.weight");
        long[] convOut = shape(p + "out.2.weight");
        int timeEmbed = (int) shape(p + "time_embed.0.weight")[0];
        if (timeEmbed != 4 * channels.get(0)) {
            throw new FormatException(file, "time embedding width " + timeEmbed + " is not 4 × the first level's "
                    + channels.get(0) + " channels, as SD-1.x/2.x UNets have");
        }

        ObjectNode c = SdDefaults.unet();
        c.put("in_channels", convIn[1]);
        c.put("out_channels", convOut[0]);
        c.put("conv_in_kernel", convIn[2]);
        c.put("conv_out_kernel", convOut[2]);
        ArrayNode down = c.putArray("down_block_types");
        ArrayNode up = c.putArray("up_block_types");
        for (int i = 0; i < n; i++) {
            down.add(downAttn.get(i) ? "CrossAttnDownBlock2D" : "DownBlock2D");
            up.add(upAttn.get(i) ? "CrossAttnUpBlock2D" : "UpBlock2D");
        }
        ints(c.putArray("block_out_channels"), channels);
        perBlock(c, "layers_per_block", layers);
        perBlock(c, "transformer_layers_per_block", depth);
        c.put("cross_attention_dim", anyAttn == null ? 768 : shape(anyAttn)[1]);
        c.put("use_linear_projection", projIn.length == 2);
        if (tower == TextTower.OPEN_CLIP) {
            ArrayNode heads = c.putArray("attention_head_dim"); // diffusers' name for the head count
            for (int ch : channels) heads.add(ch % 64 == 0 ? ch / 64 : 1);
            if (channels.stream().anyMatch(ch -> ch % 64 != 0)) {
                unresolve("unet", "attention_head_dim", "SD-2 heads have 64 channels, but the UNet's widths are " + channels);
            }
        } else {
            c.put("attention_head_dim", 8);
            if (channels.stream().anyMatch(ch -> ch % 8 != 0)) {
                unresolve("unet", "attention_head_dim", "SD-1 has 8 heads, which do not divide the UNet's widths " + channels);
                c.put("attention_head_dim", 1);
            }
        }
        return c;
    }

    private static void perBlock(ObjectNode c, String field, List<Integer> values) {
        if (new TreeSet<>(values).size() == 1) c.put(field, values.get(0));
        else ints(c.putArray(field), values);
    }

    private static void ints(ArrayNode a, List<Integer> values) {
        values.forEach(a::add);
    }

    // ------------------------------------------------------------------ VAE

    private ObjectNode vae() throws FormatException {
        String p = VAE;
        if (!has(p + "encoder.conv_in.weight") || !has(p + "decoder.conv_out.weight")) {
            throw new FormatException(file, "has no VAE (" + p + "encoder.* and " + p + "decoder.*); single files"
                    + " without one cannot become a model folder");
        }
        List<Integer> channels = new ArrayList<>();
        while (hasPrefix(p + "encoder.down." + channels.size() + ".")) {
            channels.add((int) shape(p + "encoder.down." + channels.size() + ".block.0.conv1.weight")[0]);
        }
        int layers = count(p + "encoder.down.0.block.");
        ObjectNode c = SdDefaults.vae();
        c.put("in_channels", shape(p + "encoder.conv_in.weight")[1]);
        c.put("out_channels", shape(p + "decoder.conv_out.weight")[0]);
        c.put("latent_channels", shape(p + "decoder.conv_in.weight")[1]);
        ints(c.putArray("block_out_channels"), channels);
        ArrayNode down = c.putArray("down_block_types");
        ArrayNode up = c.putArray("up_block_types");
        channels.forEach(x -> {
            down.add("DownEncoderBlock2D");
            up.add("UpDecoderBlock2D");
        });
        c.put("layers_per_block", layers);
        c.put("mid_block_add_attention", has(p + "encoder.mid.attn_1.q.weight"));
        return c;
    }

    // ------------------------------------------------------------------ text encoders

    private ObjectNode clip() throws FormatException {
        String p = LdmKeys.CLIP + (hasPrefix(LdmKeys.CLIP + "text_model.") ? "text_model." : "");
        if (!has(p + "embeddings.token_embedding.weight")) {
            throw new FormatException(file, "has no text encoder (" + LdmKeys.CLIP + "… for SD-1.x or " + LdmKeys.OPEN_CLIP
                    + "… for SD-2.x)");
        }
        long[] tokens = shape(p + "embeddings.token_embedding.weight");
        ObjectNode c = SdDefaults.textEncoder();
        c.put("hidden_act", "quick_gelu");
        return text(c, tokens, shape(p + "embeddings.position_embedding.weight"), count(p + "encoder.layers."),
                shape(p + "encoder.layers.0.mlp.fc1.weight"), (int) tokens[1]);
    }

    private ObjectNode openClip() throws FormatException {
        String p = LdmKeys.OPEN_CLIP;
        int blocks = count(p + "transformer.resblocks.");
        // A complete OpenCLIP tower (it has text_projection, or all 24 blocks of ViT-H/14, as a file
        // stripped of the unused projection still has) feeds SD-2 from its penultimate block; a file
        // without them (diffusers' exporter, cd4j's) holds only the blocks used, as diffusers' 23-layer
        // SD-2 text encoder does.
        boolean projection = has(p + "text_projection");
        boolean complete = projection || blocks == OPEN_CLIP_H_BLOCKS;
        int layers = complete ? blocks - 1 : blocks;
        if (layers < 1) throw new FormatException(file, "has an OpenCLIP text tower of " + blocks + " block(s); SD-2 uses all but the last");
        long[] tokens = shape(p + "token_embedding.weight");
        ObjectNode c = SdDefaults.textEncoder();
        c.put("hidden_act", "gelu");
        return text(c, tokens, shape(p + "positional_embedding"), layers, shape(p + "transformer.resblocks.0.mlp.c_fc.weight"),
                projection ? (int) shape(p + "text_projection")[1] : (int) tokens[1]);
    }

    private ObjectNode text(ObjectNode c, long[] tokens, long[] positions, int layers, long[] fc1, int projection) {
        int width = (int) tokens[1];
        c.put("vocab_size", tokens[0]);
        c.put("hidden_size", width);
        c.put("max_position_embeddings", positions[0]);
        c.put("num_hidden_layers", layers);
        c.put("intermediate_size", fc1[0]);
        c.put("projection_dim", projection);
        c.put("num_attention_heads", width % 64 == 0 ? width / 64 : 1);
        if (width % 64 != 0) unresolve("text_encoder", "num_attention_heads", "CLIP heads have 64 channels, but the width is " + width);
        return c;
    }

    // ------------------------------------------------------------------ helpers

    private void unresolve(String section, String field, String why) {
        unresolved.put(section + "." + field, why);
    }

    private boolean has(String key) {
        return shapes.containsKey(key);
    }

    private boolean hasPrefix(String prefix) {
        for (String k : shapes.keySet()) if (k.startsWith(prefix)) return true;
        return false;
    }

    private long[] shape(String key) throws FormatException {
        long[] s = shapes.get(key);
        if (s == null) throw new FormatException(file, "has no weight " + key + ", which an SD-1.x/2.x checkpoint of this layout has");
        return s;
    }

    /** Number of consecutive numbered children {@code prefix0.}, {@code prefix1.} … */
    private int count(String prefix) {
        Set<Integer> seen = new TreeSet<>();
        for (String k : shapes.keySet()) {
            if (!k.startsWith(prefix)) continue;
            String idx = k.substring(prefix.length()).split("\\.", 2)[0];
            if (!idx.isEmpty() && idx.chars().allMatch(Character::isDigit)) seen.add(Integer.parseInt(idx));
        }
        int n = 0;
        while (seen.contains(n)) n++;
        return n;
    }

    private String firstKeyEndingWith(String prefix, String suffix) {
        return shapes.keySet().stream().filter(k -> k.startsWith(prefix) && k.endsWith(suffix)).sorted().findFirst().orElse(null);
    }
}
