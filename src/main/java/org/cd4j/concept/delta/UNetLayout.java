package org.cd4j.concept.delta;

import org.cd4j.unet.UNetConfig;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where the transformers of a UNet sit, derived from its config alone (no weights needed): the
 * attention modules in diffusers' {@code attn_processors} order, and the CompVis/LDM names of
 * the transformers ({@code input_blocks.4.1} ⇄ {@code down_blocks.1.attentions.0}). This is the
 * one place that remaps keys between the two layouts (DESIGN §4).
 *
 * <p>LDM numbers its blocks flatly: {@code input_blocks[0]} is {@code conv_in}, then each level
 * has {@code layers_per_block} (resnet, transformer) blocks and, except the last, a downsampler;
 * {@code output_blocks} has {@code layers_per_block + 1} blocks per level (the upsampler rides in
 * the last). A transformer is sub-module {@code 1} of its block. For SD-1 this gives reference
 * §1.7's {@code input_blocks.{i}.1 → down_blocks.{i//3}.attentions.{0 if i%3==1 else 1}} and
 * {@code output_blocks.{i}.1 → up_blocks.{i//3}.attentions.{i%3}}.
 */
public final class UNetLayout {
    private final List<String> attentionModules;
    private final Map<String, String> ldmToDiffusers;

    private UNetLayout(List<String> attentionModules, Map<String, String> ldmToDiffusers) {
        this.attentionModules = Collections.unmodifiableList(attentionModules);
        this.ldmToDiffusers = Collections.unmodifiableMap(ldmToDiffusers);
    }

    /** The layout of a UNet with this config. */
    public static UNetLayout of(UNetConfig c) {
        int n = c.blockCount();
        List<String> modules = new ArrayList<>();
        Map<String, String> ldm = new LinkedHashMap<>();
        int ldmIndex = 1; // input_blocks.0 is conv_in
        for (int i = 0; i < n; i++) {
            int layers = c.layersPerBlock().get(i);
            boolean attn = UNetConfig.CROSS_ATTN_DOWN.equals(c.downBlockTypes().get(i));
            for (int j = 0; j < layers; j++) {
                if (attn) {
                    String d = "down_blocks." + i + ".attentions." + j;
                    addTransformer(modules, d, c.transformerLayersPerBlock().get(i));
                    ldm.put("input_blocks." + (ldmIndex + j) + ".1", d);
                }
            }
            ldmIndex += layers + 1; // the downsampler (absent after the last level, which ends the list)
        }
        // diffusers registers up_blocks before mid_block, so attn_processors lists them in that order
        int outIndex = 0;
        for (int i = 0; i < n; i++) {
            int r = n - 1 - i;
            int layers = c.layersPerBlock().get(r) + 1;
            boolean attn = UNetConfig.CROSS_ATTN_UP.equals(c.upBlockTypes().get(i));
            for (int j = 0; j < layers; j++) {
                if (attn) {
                    String u = "up_blocks." + i + ".attentions." + j;
                    addTransformer(modules, u, c.transformerLayersPerBlock().get(r));
                    ldm.put("output_blocks." + (outIndex + j) + ".1", u);
                }
            }
            outIndex += layers;
        }
        if (c.midBlockType() != null) {
            addTransformer(modules, "mid_block.attentions.0", c.transformerLayersPerBlock().get(n - 1));
            ldm.put("middle_block.1", "mid_block.attentions.0");
        }
        return new UNetLayout(modules, ldm);
    }

    /**
     * The SD-1.x layout (four levels of two layers, cross-attention in all but the deepest), for
     * reading CompVis files when no model is given: CompVis only ever trained SD-1.
     */
    public static UNetLayout sd1() {
        List<String> modules = new ArrayList<>();
        Map<String, String> ldm = new LinkedHashMap<>();
        for (int i : new int[]{1, 2, 4, 5, 7, 8}) ldm.put("input_blocks." + i + ".1", "down_blocks." + i / 3 + ".attentions." + (i % 3 == 1 ? 0 : 1));
        ldm.put("middle_block.1", "mid_block.attentions.0");
        for (int i = 3; i <= 11; i++) ldm.put("output_blocks." + i + ".1", "up_blocks." + i / 3 + ".attentions." + i % 3);
        return new UNetLayout(modules, ldm);
    }

    private static void addTransformer(List<String> modules, String prefix, int blocks) {
        for (int t = 0; t < blocks; t++) {
            modules.add(prefix + ".transformer_blocks." + t + ".attn1");
            modules.add(prefix + ".transformer_blocks." + t + ".attn2");
        }
    }

    /**
     * Every attention module ({@code ….transformer_blocks.0.attn1}, {@code ….attn2}) in diffusers'
     * {@code unet.attn_processors} order: down blocks, up blocks, mid block; attn1 before attn2.
     * Empty for {@link #sd1()}.
     */
    public List<String> attentionModules() {
        return attentionModules;
    }

    /** LDM transformer prefix ({@code input_blocks.1.1}) → diffusers ({@code down_blocks.0.attentions.0}). */
    public Map<String, String> ldmToDiffusers() {
        return ldmToDiffusers;
    }

    /**
     * The diffusers name of an LDM UNet parameter such as
     * {@code input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight} (without
     * {@code model.diffusion_model.}), or null when its block is not a transformer of this layout.
     */
    public String toDiffusers(String ldmName) {
        String[] p = ldmName.split("\\.", 4);
        if (p.length < 3) return null;
        String prefix = p[0].equals("middle_block") ? p[0] + "." + p[1] : p[0] + "." + p[1] + "." + p[2];
        String d = ldmToDiffusers.get(prefix);
        if (d == null || ldmName.length() <= prefix.length()) return null;
        return d + ldmName.substring(prefix.length());
    }

    /** The LDM name of a diffusers parameter (the inverse of {@link #toDiffusers}), or null. */
    public String toLdm(String diffusersName) {
        for (Map.Entry<String, String> e : ldmToDiffusers.entrySet()) {
            if (diffusersName.startsWith(e.getValue() + ".")) return e.getKey() + diffusersName.substring(e.getValue().length());
        }
        return null;
    }
}
