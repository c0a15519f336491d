package org.cd4j.bench;

import org.cd4j.unet.UNetConfig;
import org.cd4j.vae.VaeConfig;

import java.util.List;

/**
 * Architectures for benchmarks with random weights: the published {@code unet/config.json} and
 * {@code vae/config.json} of the Stable Diffusion releases, so timings can be measured without
 * downloading weights, and the tiny test model's.
 */
public final class Presets {
    private Presets() {}

    /** The names {@link #unet} accepts. */
    public static final List<String> NAMES = List.of("sd15", "sd21", "tiny");

    /** The UNet config of a preset. */
    public static UNetConfig unet(String arch) {
        switch (arch) {
            case "sd15":
                return UNetConfig.fromJson("{\"_class_name\":\"UNet2DConditionModel\",\"act_fn\":\"silu\","
                        + "\"attention_head_dim\":8,\"block_out_channels\":[320,640,1280,1280],\"center_input_sample\":false,"
                        + "\"cross_attention_dim\":768,\"down_block_types\":[\"CrossAttnDownBlock2D\",\"CrossAttnDownBlock2D\","
                        + "\"CrossAttnDownBlock2D\",\"DownBlock2D\"],\"downsample_padding\":1,\"flip_sin_to_cos\":true,"
                        + "\"freq_shift\":0,\"in_channels\":4,\"layers_per_block\":2,\"mid_block_scale_factor\":1,"
                        + "\"norm_eps\":1e-05,\"norm_num_groups\":32,\"out_channels\":4,\"sample_size\":64,"
                        + "\"up_block_types\":[\"UpBlock2D\",\"CrossAttnUpBlock2D\",\"CrossAttnUpBlock2D\",\"CrossAttnUpBlock2D\"]}",
                        "preset sd15");
            case "sd21":
                return UNetConfig.fromJson("{\"_class_name\":\"UNet2DConditionModel\",\"act_fn\":\"silu\","
                        + "\"attention_head_dim\":[5,10,20,20],\"block_out_channels\":[320,640,1280,1280],"
                        + "\"center_input_sample\":false,\"cross_attention_dim\":1024,\"down_block_types\":[\"CrossAttnDownBlock2D\","
                        + "\"CrossAttnDownBlock2D\",\"CrossAttnDownBlock2D\",\"DownBlock2D\"],\"downsample_padding\":1,"
                        + "\"dual_cross_attention\":false,\"flip_sin_to_cos\":true,\"freq_shift\":0,\"in_channels\":4,"
                        + "\"layers_per_block\":2,\"mid_block_scale_factor\":1,\"norm_eps\":1e-05,\"norm_num_groups\":32,"
                        + "\"out_channels\":4,\"sample_size\":96,\"up_block_types\":[\"UpBlock2D\",\"CrossAttnUpBlock2D\","
                        + "\"CrossAttnUpBlock2D\",\"CrossAttnUpBlock2D\"],\"use_linear_projection\":true,\"upcast_attention\":true}",
                        "preset sd21");
            case "tiny":
                // the test fixture tiny-sd1: a UNet small enough for a benchmark to finish in a test
                return UNetConfig.fromJson("{\"_class_name\":\"UNet2DConditionModel\",\"act_fn\":\"silu\","
                        + "\"attention_head_dim\":4,\"block_out_channels\":[32,64],\"cross_attention_dim\":32,"
                        + "\"down_block_types\":[\"CrossAttnDownBlock2D\",\"DownBlock2D\"],\"downsample_padding\":1,"
                        + "\"flip_sin_to_cos\":true,\"freq_shift\":0,\"in_channels\":4,\"layers_per_block\":2,"
                        + "\"mid_block_scale_factor\":1,\"norm_eps\":1e-05,\"norm_num_groups\":32,\"out_channels\":4,"
                        + "\"sample_size\":16,\"up_block_types\":[\"UpBlock2D\",\"CrossAttnUpBlock2D\"]}", "preset tiny");
            default:
                throw new IllegalArgumentException("unknown architecture '" + arch + "' (expected " + String.join(", ", NAMES) + ")");
        }
    }

    /** The VAE config of a preset: SD's {@code AutoencoderKL} (SD-2.1's differs only in sample_size, 768). */
    public static VaeConfig vae(String arch) {
        String json = switch (arch) {
            case "sd15", "sd21" -> "{\"block_out_channels\":[128,256,512,512],\"layers_per_block\":2,\"norm_num_groups\":32,"
                    + "\"latent_channels\":4,\"sample_size\":" + (arch.equals("sd15") ? 512 : 768) + ","
                    + "\"down_block_types\":[\"DownEncoderBlock2D\",\"DownEncoderBlock2D\",\"DownEncoderBlock2D\",\"DownEncoderBlock2D\"],"
                    + "\"up_block_types\":[\"UpDecoderBlock2D\",\"UpDecoderBlock2D\",\"UpDecoderBlock2D\",\"UpDecoderBlock2D\"]}";
            case "tiny" -> "{\"block_out_channels\":[32,32,64,64],\"layers_per_block\":2,\"norm_num_groups\":32,"
                    + "\"latent_channels\":4,\"sample_size\":128,"
                    + "\"down_block_types\":[\"DownEncoderBlock2D\",\"DownEncoderBlock2D\",\"DownEncoderBlock2D\",\"DownEncoderBlock2D\"],"
                    + "\"up_block_types\":[\"UpDecoderBlock2D\",\"UpDecoderBlock2D\",\"UpDecoderBlock2D\",\"UpDecoderBlock2D\"]}";
            default -> throw new IllegalArgumentException("unknown architecture '" + arch + "' (expected " + String.join(", ", NAMES) + ")");
        };
        try {
            return VaeConfig.fromJson(new com.fasterxml.jackson.databind.ObjectMapper().readTree(json), "preset " + arch);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
