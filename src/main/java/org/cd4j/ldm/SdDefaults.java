package org.cd4j.ldm;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.cd4j.ldm.LdmKeys.TextTower;

import static org.cd4j.ldm.ModelConfigs.JSON;

/**
 * The files of a diffusers Stable Diffusion folder that single files do not carry, with the
 * values of the published SD-1.5 / SD-2.1 folders: the config fields no weight decides, the
 * scheduler (PNDM, scaled-linear betas 0.00085…0.012 over 1000 steps, {@code steps_offset} 1,
 * {@code skip_prk_steps}), {@code model_index.json} and the tokenizer's settings (SD-2's pads
 * with {@code "!"}).
 */
final class SdDefaults {
    private SdDefaults() {}

    static ObjectNode unet() {
        ObjectNode c = JSON.createObjectNode();
        c.put("_class_name", "UNet2DConditionModel");
        c.put("_diffusers_version", "0.21.4");
        c.put("act_fn", "silu");
        c.put("center_input_sample", false);
        c.put("downsample_padding", 1);
        c.put("flip_sin_to_cos", true);
        c.put("freq_shift", 0);
        c.put("mid_block_scale_factor", 1);
        c.put("mid_block_type", "UNetMidBlock2DCrossAttn");
        c.put("norm_eps", 1e-5);
        c.put("norm_num_groups", 32);
        c.put("sample_size", 64);
        c.put("upcast_attention", false);
        return c;
    }

    static ObjectNode vae() {
        ObjectNode c = JSON.createObjectNode();
        c.put("_class_name", "AutoencoderKL");
        c.put("_diffusers_version", "0.21.4");
        c.put("act_fn", "silu");
        c.put("norm_num_groups", 32);
        c.put("sample_size", 512);
        c.put("scaling_factor", 0.18215);
        return c;
    }

    static ObjectNode textEncoder() {
        ObjectNode c = JSON.createObjectNode();
        c.putArray("architectures").add("CLIPTextModel");
        c.put("attention_dropout", 0.0);
        // transformers' CLIPTextConfig defaults, which every SD-1.x/2.x text_encoder/config.json keeps
        // (the real end token is 49407; eos_token_id 2 selects the legacy pooling rule)
        c.put("bos_token_id", 0);
        c.put("eos_token_id", 2);
        c.put("pad_token_id", 1);
        c.put("dropout", 0.0);
        c.put("initializer_factor", 1.0);
        c.put("initializer_range", 0.02);
        c.put("layer_norm_eps", 1e-5);
        c.put("model_type", "clip_text_model");
        c.put("torch_dtype", "float32");
        return c;
    }

    static ObjectNode scheduler() {
        ObjectNode c = JSON.createObjectNode();
        c.put("_class_name", "PNDMScheduler");
        c.put("_diffusers_version", "0.21.4");
        c.put("beta_end", 0.012);
        c.put("beta_schedule", "scaled_linear");
        c.put("beta_start", 0.00085);
        c.put("clip_sample", false);
        c.put("num_train_timesteps", 1000);
        c.put("prediction_type", "epsilon");
        c.put("set_alpha_to_one", false);
        c.put("skip_prk_steps", true);
        c.put("steps_offset", 1);
        c.putNull("trained_betas");
        return c;
    }

    static ObjectNode modelIndex(String schedulerClass) {
        ObjectNode c = JSON.createObjectNode();
        c.put("_class_name", "StableDiffusionPipeline");
        c.put("_diffusers_version", "0.21.4");
        c.putArray("feature_extractor").addNull().addNull();
        c.put("requires_safety_checker", false);
        c.putArray("safety_checker").addNull().addNull();
        pair(c, "scheduler", "diffusers", schedulerClass);
        pair(c, "text_encoder", "transformers", "CLIPTextModel");
        pair(c, "tokenizer", "transformers", "CLIPTokenizer");
        pair(c, "unet", "diffusers", "UNet2DConditionModel");
        pair(c, "vae", "diffusers", "AutoencoderKL");
        return c;
    }

    private static void pair(ObjectNode c, String part, String library, String cls) {
        ArrayNode a = c.putArray(part);
        a.add(library).add(cls);
    }

    /** {@code special_tokens_map.json}: SD-1 pads with the end token, SD-2 with "!". */
    static ObjectNode specialTokens(TextTower tower) {
        ObjectNode c = JSON.createObjectNode();
        c.set("bos_token", token("<|startoftext|>", false));
        c.set("eos_token", token("<|endoftext|>", false));
        c.put("pad_token", tower == TextTower.OPEN_CLIP ? "!" : "<|endoftext|>");
        c.set("unk_token", token("<|endoftext|>", false));
        return c;
    }

    /** {@code tokenizer_config.json}. */
    static ObjectNode tokenizerConfig(TextTower tower) {
        ObjectNode c = JSON.createObjectNode();
        c.put("add_prefix_space", false);
        c.set("bos_token", token("<|startoftext|>", true));
        c.put("do_lower_case", true);
        c.set("eos_token", token("<|endoftext|>", true));
        c.put("errors", "replace");
        c.put("model_max_length", 77);
        c.put("name_or_path", tower == TextTower.OPEN_CLIP ? "stabilityai/stable-diffusion-2-1" : "openai/clip-vit-large-patch14");
        c.put("pad_token", tower == TextTower.OPEN_CLIP ? "!" : "<|endoftext|>");
        c.put("special_tokens_map_file", "./special_tokens_map.json");
        c.put("tokenizer_class", "CLIPTokenizer");
        c.set("unk_token", token("<|endoftext|>", true));
        return c;
    }

    private static ObjectNode token(String content, boolean typed) {
        ObjectNode t = JSON.createObjectNode();
        if (typed) t.put("__type", "AddedToken");
        t.put("content", content);
        t.put("lstrip", false);
        t.put("normalized", true);
        t.put("rstrip", false);
        t.put("single_word", false);
        return t;
    }
}
