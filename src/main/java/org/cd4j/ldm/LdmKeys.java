package org.cd4j.ldm;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.F;
import org.cd4j.unet.UNetConfig;
import org.cd4j.vae.VaeConfig;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one place that renames weights between the CompVis/LDM single-file layout of Stable
 * Diffusion 1.x/2.x ({@code model.diffusion_model.*}, {@code first_stage_model.*},
 * {@code cond_stage_model.*}) and diffusers' model parts (DESIGN §4). Names are derived from the
 * parts' configs, so any number of levels and layers maps, not only SD's four.
 *
 * <p>UNet: LDM numbers its blocks flatly — {@code input_blocks.0} is {@code conv_in}, each level
 * has {@code layers_per_block} blocks {@code [resnet, transformer?]} and, except the last, a
 * downsampler block; {@code output_blocks} has {@code layers_per_block + 1} blocks per level, the
 * upsampler riding in the level's last block after its resnet (and transformer). Resnet
 * sub-modules have LDM names ({@code in_layers.0} = {@code norm1} …); transformers are named alike.
 * VAE: {@code encoder.down.i.block.j}, {@code decoder.up.i} numbered from the deepest level
 * (diffusers' {@code up_blocks} run the other way), attention {@code q, k, v, proj_out} stored as
 * 1×1 convolutions. Text: SD-1's CLIP is transformers' own layout under
 * {@code cond_stage_model.transformer.}; SD-2's OpenCLIP tower ({@code cond_stage_model.model.})
 * fuses q, k, v into {@code in_proj_weight} (3D, D), split here in that order.
 */
public final class LdmKeys {
    public static final String UNET = "model.diffusion_model.";
    public static final String VAE = "first_stage_model.";
    public static final String CLIP = "cond_stage_model.transformer.";
    public static final String OPEN_CLIP = "cond_stage_model.model.";

    /** The text towers of SD-1 (OpenAI CLIP, transformers layout) and SD-2 (OpenCLIP). */
    public enum TextTower {
        CLIP(LdmKeys.CLIP),
        OPEN_CLIP(LdmKeys.OPEN_CLIP);

        /** The checkpoint prefix of the tower's weights. */
        public final String prefix;

        TextTower(String prefix) {
            this.prefix = prefix;
        }
    }

    /** The three weight sets of a Stable Diffusion model, in diffusers names. */
    public record Parts(Map<String, Tensor> unet, Map<String, Tensor> vae, Map<String, Tensor> textEncoder) {}

    private static final String[][] UNET_RESNET = {{"norm1", "in_layers.0"}, {"conv1", "in_layers.2"},
            {"time_emb_proj", "emb_layers.1"}, {"norm2", "out_layers.0"}, {"conv2", "out_layers.3"},
            {"conv_shortcut", "skip_connection"}};
    private static final String[][] VAE_RESNET = {{"norm1", "norm1"}, {"conv1", "conv1"}, {"norm2", "norm2"},
            {"conv2", "conv2"}, {"conv_shortcut", "nin_shortcut"}};
    private static final String[][] VAE_ATTENTION = {{"group_norm", "norm"}, {"to_q", "q"}, {"to_k", "k"},
            {"to_v", "v"}, {"to_out.0", "proj_out"}};
    private static final String[][] CLIP_LAYER = {{"layer_norm1", "layer_norm1"}, {"layer_norm2", "layer_norm2"},
            {"mlp.fc1", "mlp.fc1"}, {"mlp.fc2", "mlp.fc2"}, {"self_attn.q_proj", "self_attn.q_proj"},
            {"self_attn.k_proj", "self_attn.k_proj"}, {"self_attn.v_proj", "self_attn.v_proj"},
            {"self_attn.out_proj", "self_attn.out_proj"}};
    private static final String[][] OPEN_CLIP_LAYER = {{"layer_norm1", "ln_1"}, {"layer_norm2", "ln_2"},
            {"mlp.fc1", "mlp.c_fc"}, {"mlp.fc2", "mlp.c_proj"}, {"self_attn.out_proj", "attn.out_proj"}};
    private static final Pattern VAE_ATTENTION_WEIGHT =
            Pattern.compile("^(encoder|decoder)\\.mid_block\\.attentions\\.0\\.(to_q|to_k|to_v|to_out\\.0)\\.weight$");
    private static final Pattern QKV = Pattern.compile("^text_model\\.encoder\\.layers\\.(\\d+)\\.self_attn\\.([qkv])_proj\\.(weight|bias)$");
    private static final Pattern IN_PROJ = Pattern.compile("^transformer\\.resblocks\\.(\\d+)\\.attn\\.in_proj_(weight|bias)$");

    /** Top-level buffers of LDM's {@code LatentDiffusion}: its noise schedule, recomputed by the scheduler. */
    private static final Pattern SCHEDULE_BUFFER = Pattern.compile("^(betas|alphas_cumprod|alphas_cumprod_prev"
            + "|sqrt_alphas_cumprod|sqrt_one_minus_alphas_cumprod|log_one_minus_alphas_cumprod|sqrt_recip_alphas_cumprod"
            + "|sqrt_recipm1_alphas_cumprod|posterior_variance|posterior_log_variance_clipped|posterior_mean_coef1"
            + "|posterior_mean_coef2|logvar|model_ema\\.decay|model_ema\\.num_updates)$");

    private LdmKeys() {}

    /** Renames between one part's diffusers names and its LDM names (without the part's prefix). */
    public static final class Names {
        private record Rule(String diffusers, String ldm, String[][] suffixes) {}

        private final List<Rule> rules = new ArrayList<>();

        private Names add(String diffusers, String ldm, String[][] suffixes) {
            rules.add(new Rule(diffusers, ldm, suffixes));
            return this;
        }

        private Names add(String diffusers, String ldm) {
            return add(diffusers, ldm, null);
        }

        /** The diffusers name of an LDM name, or null when no rule covers it. */
        public String toDiffusers(String ldm) {
            return translate(ldm, false);
        }

        /** The LDM name of a diffusers name, or null when no rule covers it. */
        public String toLdm(String diffusers) {
            return translate(diffusers, true);
        }

        /** The module prefixes, diffusers → LDM, in rule order. */
        public Map<String, String> prefixes() {
            Map<String, String> out = new LinkedHashMap<>();
            for (Rule r : rules) out.put(r.diffusers, r.ldm);
            return out;
        }

        private String translate(String name, boolean toLdm) {
            Rule best = null;
            for (Rule r : rules) {
                String from = toLdm ? r.diffusers : r.ldm;
                boolean hit = name.equals(from) || name.startsWith(from + ".");
                if (hit && (best == null || from.length() > (toLdm ? best.diffusers : best.ldm).length())) best = r;
            }
            if (best == null) return null;
            String from = toLdm ? best.diffusers : best.ldm;
            String to = toLdm ? best.ldm : best.diffusers;
            String rest = name.substring(from.length());
            if (best.suffixes == null) return to + rest;
            for (String[] s : best.suffixes) {
                String a = toLdm ? s[0] : s[1];
                String b = toLdm ? s[1] : s[0];
                if (rest.startsWith("." + a + ".")) return to + "." + b + rest.substring(a.length() + 1);
            }
            return null;
        }
    }

    /** The UNet's names for a config: see the class comment for LDM's block numbering. */
    public static Names unet(UNetConfig c) {
        Names n = new Names().add("time_embedding.linear_1", "time_embed.0").add("time_embedding.linear_2", "time_embed.2")
                .add("conv_in", "input_blocks.0.0").add("conv_norm_out", "out.0").add("conv_out", "out.2");
        int blocks = c.blockCount();
        int k = 1;
        for (int i = 0; i < blocks; i++) {
            boolean attn = UNetConfig.CROSS_ATTN_DOWN.equals(c.downBlockTypes().get(i));
            for (int j = 0; j < c.layersPerBlock().get(i); j++, k++) {
                n.add("down_blocks." + i + ".resnets." + j, "input_blocks." + k + ".0", UNET_RESNET);
                if (attn) n.add("down_blocks." + i + ".attentions." + j, "input_blocks." + k + ".1");
            }
            if (i < blocks - 1) n.add("down_blocks." + i + ".downsamplers.0.conv", "input_blocks." + k++ + ".0.op");
        }
        if (c.midBlockType() != null) {
            n.add("mid_block.resnets.0", "middle_block.0", UNET_RESNET).add("mid_block.attentions.0", "middle_block.1")
                    .add("mid_block.resnets.1", "middle_block.2", UNET_RESNET);
        }
        k = 0;
        for (int u = 0; u < blocks; u++) {
            boolean attn = UNetConfig.CROSS_ATTN_UP.equals(c.upBlockTypes().get(u));
            int layers = c.layersPerBlock().get(blocks - 1 - u) + 1;
            for (int j = 0; j < layers; j++, k++) {
                n.add("up_blocks." + u + ".resnets." + j, "output_blocks." + k + ".0", UNET_RESNET);
                if (attn) n.add("up_blocks." + u + ".attentions." + j, "output_blocks." + k + ".1");
                if (j == layers - 1 && u < blocks - 1) {
                    n.add("up_blocks." + u + ".upsamplers.0.conv", "output_blocks." + k + "." + (attn ? 2 : 1) + ".conv");
                }
            }
        }
        return n;
    }

    /** The VAE's names for a config. */
    public static Names vae(VaeConfig c) {
        Names n = new Names().add("quant_conv", "quant_conv").add("post_quant_conv", "post_quant_conv");
        int levels = c.levels();
        for (String side : new String[]{"encoder", "decoder"}) {
            n.add(side + ".conv_in", side + ".conv_in").add(side + ".conv_out", side + ".conv_out")
                    .add(side + ".conv_norm_out", side + ".norm_out")
                    .add(side + ".mid_block.resnets.0", side + ".mid.block_1", VAE_RESNET)
                    .add(side + ".mid_block.resnets.1", side + ".mid.block_2", VAE_RESNET)
                    .add(side + ".mid_block.attentions.0", side + ".mid.attn_1", VAE_ATTENTION);
        }
        for (int i = 0; i < levels; i++) {
            for (int j = 0; j < c.layersPerBlock(); j++) {
                n.add("encoder.down_blocks." + i + ".resnets." + j, "encoder.down." + i + ".block." + j, VAE_RESNET);
            }
            if (i < levels - 1) n.add("encoder.down_blocks." + i + ".downsamplers.0.conv", "encoder.down." + i + ".downsample.conv");
            int ldm = levels - 1 - i; // decoder.up is numbered from the deepest level
            for (int j = 0; j <= c.layersPerBlock(); j++) {
                n.add("decoder.up_blocks." + i + ".resnets." + j, "decoder.up." + ldm + ".block." + j, VAE_RESNET);
            }
            if (i < levels - 1) n.add("decoder.up_blocks." + i + ".upsamplers.0.conv", "decoder.up." + ldm + ".upsample.conv");
        }
        return n;
    }

    /** The text encoder's names (OpenCLIP's fused q/k/v aside) for {@code layers} encoder layers. */
    public static Names text(TextTower tower, int layers) {
        if (tower == TextTower.CLIP) { // transformers' own names
            Names n = new Names();
            for (String m : new String[]{"embeddings.token_embedding", "embeddings.position_embedding", "final_layer_norm"}) {
                n.add("text_model." + m, "text_model." + m);
            }
            for (int i = 0; i < layers; i++) n.add("text_model.encoder.layers." + i, "text_model.encoder.layers." + i, CLIP_LAYER);
            return n;
        }
        Names n = new Names().add("text_model.embeddings.token_embedding", "token_embedding")
                .add("text_model.embeddings.position_embedding.weight", "positional_embedding")
                .add("text_model.final_layer_norm", "ln_final");
        for (int i = 0; i < layers; i++) n.add("text_model.encoder.layers." + i, "transformer.resblocks." + i, OPEN_CLIP_LAYER);
        return n;
    }

    /**
     * Splits a single-file checkpoint into diffusers' parts.
     *
     * @param textLayers the encoder layers the text model keeps; OpenCLIP blocks beyond them (SD-2's
     *                   last block, unused by its penultimate-layer conditioning) are dropped
     * @param notes      receives one line per group of weights left out on purpose
     * @throws IllegalArgumentException listing weights of the model's parts that fit no name of
     *                                  this architecture
     */
    public static Parts toDiffusers(Map<String, Tensor> ckpt, UNetConfig u, VaeConfig v, TextTower tower, int textLayers,
                                    List<String> notes) {
        Names unetNames = unet(u), vaeNames = vae(v), textNames = text(tower, textLayers);
        Map<String, Tensor> unet = new LinkedHashMap<>(), vae = new LinkedHashMap<>(), text = new LinkedHashMap<>();
        List<String> unknown = new ArrayList<>();
        Map<String, Integer> ignored = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : ckpt.entrySet()) {
            String key = e.getKey();
            Tensor t = e.getValue();
            if (key.startsWith(UNET)) {
                put(unet, unetNames.toDiffusers(key.substring(UNET.length())), t, key, unknown);
            } else if (key.startsWith(VAE)) {
                String name = vaeNames.toDiffusers(key.substring(VAE.length()));
                if (name != null && VAE_ATTENTION_WEIGHT.matcher(name).matches() && t.dim() == 4) {
                    t = t.view(t.size(0), t.size(1)); // 1×1 convolution (C, C, 1, 1) -> linear (C, C)
                }
                put(vae, name, t, key, unknown);
            } else if (key.startsWith(tower.prefix)) {
                String rest = key.substring(tower.prefix.length());
                // some SD-1 files, saved before transformers added the text_model level, lack it
                if (tower == TextTower.CLIP && !rest.startsWith("text_model.")) rest = "text_model." + rest;
                Matcher m = IN_PROJ.matcher(rest);
                if (rest.endsWith("embeddings.position_ids") || rest.equals("logit_scale") || rest.equals("text_projection")) {
                    ignored.merge("text-tower extras (position_ids, logit_scale, text_projection)", 1, Integer::sum);
                } else if (tower == TextTower.OPEN_CLIP && droppedBlock(rest, textLayers)) {
                    ignored.merge("text-tower blocks after layer " + textLayers + " (SD-2 conditions on the penultimate layer)",
                            1, Integer::sum);
                } else if (tower == TextTower.OPEN_CLIP && m.matches()) {
                    long d = t.size(0) / 3;
                    for (int i = 0; i < 3; i++) {
                        String name = "text_model.encoder.layers." + m.group(1) + ".self_attn." + "qkv".charAt(i) + "_proj." + m.group(2);
                        put(text, name, t.narrow(0, i * d, d), key, unknown); // rows [q; k; v] of (3D, D) / (3D)
                    }
                } else {
                    put(text, textNames.toDiffusers(rest), t, key, unknown);
                }
            } else if (key.startsWith("model_ema.") || SCHEDULE_BUFFER.matcher(key).matches()) {
                ignored.merge(key.startsWith("model_ema.") ? "EMA copies (model_ema.*)" : "noise-schedule buffers (betas, alphas_cumprod, …)",
                        1, Integer::sum);
            } else if (key.startsWith("cond_stage_model.") || key.startsWith("model.")) {
                unknown.add(key);
            } else {
                ignored.merge("other entries (e.g. " + key + ")", 1, Integer::sum);
            }
        }
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(unknown.size() + " weight(s) fit no SD-1.x/2.x layer of the inferred architecture, e.g. "
                    + String.join(", ", unknown.subList(0, Math.min(5, unknown.size()))));
        }
        ignored.forEach((what, count) -> notes.add("left out " + count + " " + what));
        return new Parts(unet, vae, text);
    }

    private static boolean droppedBlock(String rest, int textLayers) {
        if (!rest.startsWith("transformer.resblocks.")) return false;
        String idx = rest.substring("transformer.resblocks.".length()).split("\\.", 2)[0];
        return idx.chars().allMatch(Character::isDigit) && Integer.parseInt(idx) >= textLayers;
    }

    private static void put(Map<String, Tensor> part, String name, Tensor t, String key, List<String> unknown) {
        if (name == null) {
            unknown.add(key);
        } else if (part.put(name, t) != null) {
            throw new IllegalArgumentException("two weights map to " + name + " (the second is " + key + ")");
        }
    }

    /**
     * Joins diffusers' parts into one LDM state dict (prefixed names), the inverse of
     * {@link #toDiffusers}: OpenCLIP's q/k/v are fused again and VAE attention weights become 1×1
     * convolutions, as LDM (and AUTOMATIC1111) load them.
     *
     * @throws IllegalArgumentException naming a weight no LDM name exists for
     */
    public static Map<String, Tensor> toLdm(Parts parts, UNetConfig u, VaeConfig v, TextTower tower, int textLayers) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        Names unetNames = unet(u), vaeNames = vae(v), textNames = text(tower, textLayers);
        parts.unet().forEach((k, t) -> out.put(UNET + require(unetNames.toLdm(k), "UNet", k), t));
        parts.vae().forEach((k, t) -> {
            if (VAE_ATTENTION_WEIGHT.matcher(k).matches() && t.dim() == 2) t = t.view(t.size(0), t.size(1), 1, 1);
            out.put(VAE + require(vaeNames.toLdm(k), "VAE", k), t);
        });
        Map<String, Tensor[]> fused = new TreeMap<>();
        for (Map.Entry<String, Tensor> e : parts.textEncoder().entrySet()) {
            Matcher m = QKV.matcher(e.getKey());
            if (tower == TextTower.OPEN_CLIP && m.matches()) {
                String target = "transformer.resblocks." + m.group(1) + ".attn.in_proj_" + m.group(3);
                fused.computeIfAbsent(target, x -> new Tensor[3])["qkv".indexOf(m.group(2))] = e.getValue();
            } else {
                out.put(tower.prefix + require(textNames.toLdm(e.getKey()), "text encoder", e.getKey()), e.getValue());
            }
        }
        for (Map.Entry<String, Tensor[]> e : fused.entrySet()) {
            for (Tensor t : e.getValue()) {
                if (t == null) throw new IllegalArgumentException("text encoder: " + e.getKey() + " needs all of q_proj, k_proj and v_proj");
            }
            out.put(tower.prefix + e.getKey(), F.cat(0, e.getValue()));
        }
        return out;
    }

    private static String require(String name, String part, String key) {
        if (name == null) throw new IllegalArgumentException(part + " weight " + key + " has no name in the LDM layout");
        return name;
    }
}
