package org.cd4j.ldm;

import org.cd4j.io.FormatException;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Recognises what a weights file is before anything is converted, so a file of another kind
 * (SDXL, SD3, Flux, a LoRA, a VAE or an embedding on its own) is refused with one message that
 * names the file and what it holds, instead of a complaint about some missing weight.
 */
final class Architecture {
    private Architecture() {}

    /** Refuses anything that is not an SD-1.x/2.x checkpoint in the CompVis/LDM layout. */
    static void check(Path file, Set<String> keys, Map<String, String> metadata) throws FormatException {
        String spec = metadata.get("modelspec.architecture");
        if (spec != null && !spec.startsWith("stable-diffusion-v1") && !spec.startsWith("stable-diffusion-v2")) {
            throw refuse(file, keys, "its metadata says modelspec.architecture = '" + spec + "'");
        }
        String found = null;
        if (any(keys, "conditioner.embedders.") || keys.contains(LdmKeys.UNET + "label_emb.0.0.weight")) {
            found = "an SDXL-style model (conditioner.embedders.*, label_emb)";
        } else if (any(keys, LdmKeys.UNET + "joint_blocks.")) {
            found = "a Stable Diffusion 3 model (joint_blocks)";
        } else if (any(keys, "double_blocks.") || any(keys, LdmKeys.UNET + "double_blocks.")) {
            found = "a Flux model (double_blocks)";
        } else if (any(keys, "lora_unet_") || any(keys, "lora_te_") || keys.stream().anyMatch(k -> k.contains(".lora_"))) {
            found = "a LoRA adapter";
        } else if (keys.contains("emb_params") || keys.contains("string_to_param") || keys.contains("clip_l")) {
            found = "a textual-inversion embedding";
        } else if (keys.contains("encoder.conv_in.weight") && keys.contains("decoder.conv_out.weight")) {
            found = "a VAE on its own";
        } else if (!keys.contains(LdmKeys.UNET + "input_blocks.0.0.weight")) {
            found = "no UNet (" + LdmKeys.UNET + "input_blocks.*)";
        } else if (!any(keys, LdmKeys.CLIP) && !any(keys, LdmKeys.OPEN_CLIP)) {
            found = "no text encoder (" + LdmKeys.CLIP + "* for SD-1.x or " + LdmKeys.OPEN_CLIP + "* for SD-2.x)";
        }
        if (found != null) throw refuse(file, keys, "it holds " + found);
    }

    private static FormatException refuse(Path file, Set<String> keys, String why) {
        return new FormatException(file, "is not a Stable Diffusion 1.x/2.x checkpoint: " + why + ". cd4j reads single files"
                + " in the CompVis/LDM layout (model.diffusion_model.*, first_stage_model.*, cond_stage_model.*); this"
                + " file's names start with " + roots(keys));
    }

    private static boolean any(Set<String> keys, String prefix) {
        for (String k : keys) if (k.startsWith(prefix)) return true;
        return false;
    }

    /** The distinct first two name segments, e.g. {@code model.diffusion_model, first_stage_model.encoder}. */
    private static String roots(Set<String> keys) {
        Set<String> roots = new TreeSet<>();
        for (String k : keys) {
            String[] p = k.split("\\.", 3);
            roots.add(p.length > 1 ? p[0] + "." + p[1] : p[0]);
        }
        if (roots.isEmpty()) return "nothing (the file holds no weights)";
        String s = String.join(", ", roots.stream().limit(8).toList());
        return roots.size() > 8 ? s + " … (" + roots.size() + " in all)" : s;
    }
}
