package org.cd4j.ldm;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Weight shapes of real single-file checkpoints, written out from the structure of LDM's own
 * modules (openaimodel.UNetModel, the autoencoder, the CLIP / OpenCLIP text towers) rather than
 * from cd4j's key map, so configuration inference can be tested on SD-1.5 and SD-2.1 without
 * gigabytes of weights.
 */
final class SdShapes {
    private final Map<String, long[]> s = new LinkedHashMap<>();

    private SdShapes() {}

    /** runwayml/stable-diffusion-v1-5's v1-5-pruned.safetensors. */
    static Map<String, long[]> sd15() {
        SdShapes x = new SdShapes();
        x.unet(768, false);
        x.vae();
        x.clip();
        return x.s;
    }

    /**
     * stabilityai/stable-diffusion-2-1's v2-1_768-ema-pruned.safetensors: the complete OpenCLIP
     * tower (24 blocks and the projection), or (complete = false) the tower as diffusers' exporter
     * writes it (the 23 blocks SD-2 uses, no projection).
     */
    static Map<String, long[]> sd21(boolean complete) {
        SdShapes x = new SdShapes();
        x.unet(1024, true);
        x.vae();
        x.openClip(complete);
        return x.s;
    }

    private void put(String key, long... shape) {
        s.put(key, shape);
    }

    private void unet(int ctx, boolean linear) {
        String p = "model.diffusion_model.";
        int[] ch = {320, 640, 1280, 1280};
        boolean[] attn = {true, true, true, false};
        int t = 4 * ch[0];
        put(p + "time_embed.0.weight", t, ch[0]);
        put(p + "time_embed.0.bias", t);
        put(p + "time_embed.2.weight", t, t);
        put(p + "time_embed.2.bias", t);
        put(p + "input_blocks.0.0.weight", ch[0], 4, 3, 3);
        put(p + "input_blocks.0.0.bias", ch[0]);
        List<Integer> skips = new ArrayList<>(List.of(ch[0]));
        int k = 1, c = ch[0];
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 2; j++, k++) {
                res(p + "input_blocks." + k + ".0.", c, ch[i], t);
                c = ch[i];
                if (attn[i]) transformer(p + "input_blocks." + k + ".1.", c, ctx, linear);
                skips.add(c);
            }
            if (i < 3) {
                put(p + "input_blocks." + k + ".0.op.weight", c, c, 3, 3);
                put(p + "input_blocks." + k++ + ".0.op.bias", c);
                skips.add(c);
            }
        }
        res(p + "middle_block.0.", c, c, t);
        transformer(p + "middle_block.1.", c, ctx, linear);
        res(p + "middle_block.2.", c, c, t);
        int o = 0;
        for (int i = 3; i >= 0; i--) {
            for (int j = 0; j < 3; j++, o++) {
                res(p + "output_blocks." + o + ".0.", c + skips.remove(skips.size() - 1), ch[i], t);
                c = ch[i];
                if (attn[i]) transformer(p + "output_blocks." + o + ".1.", c, ctx, linear);
                if (i > 0 && j == 2) {
                    put(p + "output_blocks." + o + "." + (attn[i] ? 2 : 1) + ".conv.weight", c, c, 3, 3);
                    put(p + "output_blocks." + o + "." + (attn[i] ? 2 : 1) + ".conv.bias", c);
                }
            }
        }
        put(p + "out.0.weight", ch[0]);
        put(p + "out.0.bias", ch[0]);
        put(p + "out.2.weight", 4, ch[0], 3, 3);
        put(p + "out.2.bias", 4);
    }

    private void res(String p, int in, int out, int t) {
        put(p + "in_layers.0.weight", in);
        put(p + "in_layers.0.bias", in);
        put(p + "in_layers.2.weight", out, in, 3, 3);
        put(p + "in_layers.2.bias", out);
        put(p + "emb_layers.1.weight", out, t);
        put(p + "emb_layers.1.bias", out);
        put(p + "out_layers.0.weight", out);
        put(p + "out_layers.0.bias", out);
        put(p + "out_layers.3.weight", out, out, 3, 3);
        put(p + "out_layers.3.bias", out);
        if (in != out) {
            put(p + "skip_connection.weight", out, in, 1, 1);
            put(p + "skip_connection.bias", out);
        }
    }

    private void transformer(String p, int c, int ctx, boolean linear) {
        put(p + "norm.weight", c);
        put(p + "norm.bias", c);
        put(p + "proj_in.weight", linear ? new long[]{c, c} : new long[]{c, c, 1, 1});
        put(p + "proj_in.bias", c);
        String b = p + "transformer_blocks.0.";
        for (String a : new String[]{"attn1", "attn2"}) {
            int kv = a.equals("attn1") ? c : ctx;
            put(b + a + ".to_q.weight", c, c);
            put(b + a + ".to_k.weight", c, kv);
            put(b + a + ".to_v.weight", c, kv);
            put(b + a + ".to_out.0.weight", c, c);
            put(b + a + ".to_out.0.bias", c);
        }
        put(b + "ff.net.0.proj.weight", 8L * c, c);
        put(b + "ff.net.0.proj.bias", 8L * c);
        put(b + "ff.net.2.weight", c, 4L * c);
        put(b + "ff.net.2.bias", c);
        for (String n : new String[]{"norm1", "norm2", "norm3"}) {
            put(b + n + ".weight", c);
            put(b + n + ".bias", c);
        }
        put(p + "proj_out.weight", linear ? new long[]{c, c} : new long[]{c, c, 1, 1});
        put(p + "proj_out.bias", c);
    }

    private void vae() {
        String p = "first_stage_model.";
        int[] ch = {128, 256, 512, 512};
        put(p + "encoder.conv_in.weight", 128, 3, 3, 3);
        int c = 128;
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 2; j++) {
                put(p + "encoder.down." + i + ".block." + j + ".conv1.weight", ch[i], c, 3, 3);
                if (c != ch[i]) put(p + "encoder.down." + i + ".block." + j + ".nin_shortcut.weight", ch[i], c, 1, 1);
                c = ch[i];
            }
            if (i < 3) put(p + "encoder.down." + i + ".downsample.conv.weight", c, c, 3, 3);
        }
        for (String side : new String[]{"encoder", "decoder"}) {
            for (String q : new String[]{"q", "k", "v", "proj_out"}) put(p + side + ".mid.attn_1." + q + ".weight", 512, 512, 1, 1);
        }
        put(p + "encoder.conv_out.weight", 8, 512, 3, 3);
        put(p + "quant_conv.weight", 8, 8, 1, 1);
        put(p + "post_quant_conv.weight", 4, 4, 1, 1);
        put(p + "decoder.conv_in.weight", 512, 4, 3, 3);
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 3; j++) put(p + "decoder.up." + i + ".block." + j + ".conv1.weight", ch[i], ch[i], 3, 3);
        }
        put(p + "decoder.conv_out.weight", 3, 128, 3, 3);
    }

    private void clip() {
        String p = "cond_stage_model.transformer.text_model.";
        put(p + "embeddings.token_embedding.weight", 49408, 768);
        put(p + "embeddings.position_embedding.weight", 77, 768);
        put(p + "embeddings.position_ids", 1, 77);
        for (int i = 0; i < 12; i++) {
            String l = p + "encoder.layers." + i + ".";
            for (String q : new String[]{"q", "k", "v", "out"}) put(l + "self_attn." + q + "_proj.weight", 768, 768);
            put(l + "layer_norm1.weight", 768);
            put(l + "mlp.fc1.weight", 3072, 768);
            put(l + "mlp.fc2.weight", 768, 3072);
        }
        put(p + "final_layer_norm.weight", 768);
    }

    private void openClip(boolean complete) {
        String p = "cond_stage_model.model.";
        put(p + "token_embedding.weight", 49408, 1024);
        put(p + "positional_embedding", 77, 1024);
        for (int i = 0; i < (complete ? 24 : 23); i++) {
            String l = p + "transformer.resblocks." + i + ".";
            put(l + "ln_1.weight", 1024);
            put(l + "attn.in_proj_weight", 3072, 1024);
            put(l + "attn.in_proj_bias", 3072);
            put(l + "attn.out_proj.weight", 1024, 1024);
            put(l + "mlp.c_fc.weight", 4096, 1024);
            put(l + "mlp.c_proj.weight", 1024, 4096);
        }
        put(p + "ln_final.weight", 1024);
        if (complete) {
            put(p + "text_projection", 1024, 1024);
            put(p + "logit_scale");
        }
    }
}
