package org.cd4j.bench;

import org.cd4j.unet.UNetConfig;

import java.util.List;

/**
 * Architectures for benchmarks with random weights: the published {@code unet/config.json} of
 * the Stable Diffusion releases, so timings can be measured without downloading weights, and
 * the tiny test model's.
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
}
