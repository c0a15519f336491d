package org.cd4j.concept.delta;

import org.cd4j.ldm.LdmKeys;
import org.cd4j.unet.UNetConfig;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where the transformers of a UNet sit, derived from its config alone (no weights needed): the
 * attention modules in diffusers' {@code attn_processors} order, and the CompVis/LDM names of its
 * parameters ({@code input_blocks.4.1} ⇄ {@code down_blocks.1.attentions.0}), which
 * {@link LdmKeys}, the one place that remaps keys between the two layouts (DESIGN §4), provides.
 * For SD-1 this gives reference §1.7's {@code input_blocks.{i}.1 → down_blocks.{i//3}.attentions.{0 if i%3==1 else 1}}
 * and {@code output_blocks.{i}.1 → up_blocks.{i//3}.attentions.{i%3}}.
 */
public final class UNetLayout {
    private final List<String> attentionModules;
    private final LdmKeys.Names ldm;

    private UNetLayout(List<String> attentionModules, LdmKeys.Names ldm) {
        this.attentionModules = Collections.unmodifiableList(attentionModules);
        this.ldm = ldm;
    }

    /** The layout of a UNet with this config. */
    public static UNetLayout of(UNetConfig c) {
        int n = c.blockCount();
        List<String> modules = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (!UNetConfig.CROSS_ATTN_DOWN.equals(c.downBlockTypes().get(i))) continue;
            for (int j = 0; j < c.layersPerBlock().get(i); j++) {
                addTransformer(modules, "down_blocks." + i + ".attentions." + j, c.transformerLayersPerBlock().get(i));
            }
        }
        // diffusers registers up_blocks before mid_block, so attn_processors lists them in that order
        for (int i = 0; i < n; i++) {
            int r = n - 1 - i;
            if (!UNetConfig.CROSS_ATTN_UP.equals(c.upBlockTypes().get(i))) continue;
            for (int j = 0; j <= c.layersPerBlock().get(r); j++) {
                addTransformer(modules, "up_blocks." + i + ".attentions." + j, c.transformerLayersPerBlock().get(r));
            }
        }
        if (c.midBlockType() != null) addTransformer(modules, "mid_block.attentions.0", c.transformerLayersPerBlock().get(n - 1));
        return new UNetLayout(modules, LdmKeys.unet(c));
    }

    /**
     * The SD-1.x layout (four levels of two layers, cross-attention in all but the deepest: the
     * defaults of a diffusers UNet config), for reading CompVis files when no model is given:
     * CompVis only ever trained SD-1.
     */
    public static UNetLayout sd1() {
        return of(UNetConfig.fromJson("{}", "SD-1 defaults"));
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
     */
    public List<String> attentionModules() {
        return attentionModules;
    }

    /** LDM transformer prefix ({@code input_blocks.1.1}) → diffusers ({@code down_blocks.0.attentions.0}). */
    public Map<String, String> ldmToDiffusers() {
        Map<String, String> out = new LinkedHashMap<>();
        ldm.prefixes().forEach((d, l) -> {
            if (d.contains(".attentions.")) out.put(l, d);
        });
        return out;
    }

    /**
     * The diffusers name of an LDM UNet parameter such as
     * {@code input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight} (without
     * {@code model.diffusion_model.}), or null when this layout has no such parameter.
     */
    public String toDiffusers(String ldmName) {
        return ldm.toDiffusers(ldmName);
    }

    /** The LDM name of a diffusers parameter (the inverse of {@link #toDiffusers}), or null. */
    public String toLdm(String diffusersName) {
        return ldm.toLdm(diffusersName);
    }
}
