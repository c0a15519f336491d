package org.cd4j.ldm;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.cd4j.nn.DType;
import org.cd4j.nn.F;
import org.cd4j.nn.Tensors;
import org.cd4j.unet.UNet2DConditionModel;
import org.cd4j.unet.UNetConfig;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Which of SD-2's two kinds a single file is when nothing says so: the 512-pixel "base" models
 * predict noise (epsilon), the 768-pixel ones predict v (their weights have the same shapes). Only
 * the fields nobody stated ({@link ResolvedConfig#open()}) are settled:
 * <ol>
 *   <li>A {@code .ckpt} of Stability's own releases is known by its Lightning {@code global_step},
 *       as diffusers' converter knows it: 875 000 is SD-2.0-base (epsilon, 512 px), 110 000 is
 *       SD-2.1-768 (v, 768 px, attention upcast, which that model needs in half precision).</li>
 *   <li>Otherwise the UNet is asked, as AUTOMATIC1111 asks it: a constant latent (0.5) at
 *       timestep 999 with a constant context (0.5, two tokens). Near pure noise an epsilon model
 *       returns about its input, while a v model returns about minus the clean image it sees, so
 *       the mean of {@code output − input} falls below −1 only for v models. v means 768 px,
 *       epsilon 512 px, as in every SD-2 release.</li>
 * </ol>
 * diffusers itself assumes v and 768 px for every SD-2 file but the 875 000-step one, which is
 * wrong for SD-2.1-base and the models tuned from it; the probe is right for both kinds.
 */
final class Sd2Variant {
    /** Lightning steps of Stability's SD-2 releases that diffusers recognises. */
    static final long SD20_BASE_STEP = 875_000, SD21_768_STEP = 110_000;
    /** AUTOMATIC1111's threshold on the mean of {@code output − input}. */
    static final double V_THRESHOLD = -1.0;

    private Sd2Variant() {}

    /**
     * {@code c} with its open SD-2 fields settled; unchanged when the prediction type was stated.
     *
     * @param globalStep the {@code .ckpt}'s {@code global_step}, or null
     * @param unet       the UNet's weights in diffusers names (asked only when the step does not tell)
     * @param notes      receives one line saying what was decided and why
     */
    static ResolvedConfig settle(ResolvedConfig c, Long globalStep, Map<String, Tensor> unet, List<String> notes) {
        if (!c.open().contains("scheduler.prediction_type")) return c;
        boolean v;
        boolean upcast = false;
        String why;
        if (globalStep != null && globalStep == SD20_BASE_STEP) {
            v = false;
            why = "its global_step " + SD20_BASE_STEP + " is Stability's SD-2.0-base";
        } else if (globalStep != null && globalStep == SD21_768_STEP) {
            v = true;
            upcast = true;
            why = "its global_step " + SD21_768_STEP + " is Stability's SD-2.1-768";
        } else {
            double response = probe(c.unet(), unet);
            v = response < V_THRESHOLD;
            why = String.format(Locale.ROOT, "its UNet answers a constant input at timestep 999 with a mean change of %.3f"
                    + " (below %.0f: v, as AUTOMATIC1111 tells them apart)", response, V_THRESHOLD);
        }
        ModelConfigs json = c.json().overriddenBy(ModelConfigs.none());
        json.scheduler().put("prediction_type", v ? "v_prediction" : "epsilon");
        int px = v ? 768 : 512;
        if (c.open().contains("unet.sample_size")) json.unet().put("sample_size", px / c.vae().downscaleFactor());
        if (c.open().contains("unet.upcast_attention")) json.unet().put("upcast_attention", upcast);
        notes.add("an SD-2 model whose prediction type nothing states: " + why + ", so "
                + (v ? "v_prediction" : "epsilon") + (c.open().contains("unet.sample_size") ? " at " + px + " px" : "")
                + " (--model-config overrides this)");
        return ResolvedConfig.typed(json, c.tower(), "the SD-2 settings");
    }

    /** The mean of {@code unet(x, 999, context) − x} for x = 0.5 everywhere (1, C, 8, 8) and a (1, 2, D) context of 0.5. */
    static double probe(UNetConfig config, Map<String, Tensor> weights) {
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            UNet2DConditionModel model = new UNet2DConditionModel(config, DType.F32);
            model.loadStateDict(weights, "the UNet");
            Tensor x = F.add(torch.zeros(new long[]{1, config.inChannels(), 8, 8}, Tensors.options(DType.F32)), 0.5);
            Tensor context = F.add(torch.zeros(new long[]{1, 2, config.crossAttentionDim().get(0)}, Tensors.options(DType.F32)), 0.5);
            Tensor out = model.forward(x, 999.0, context);
            return out.sub(x).mean().item_double();
        }
    }
}
