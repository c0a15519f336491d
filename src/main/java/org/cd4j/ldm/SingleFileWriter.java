package org.cd4j.ldm;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.io.SafetensorsWriter;
import org.cd4j.ldm.LdmKeys.Parts;
import org.cd4j.ldm.LdmKeys.TextTower;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes a diffusers model as one {@code .safetensors} file in the CompVis/LDM layout that
 * AUTOMATIC1111 and other single-file tools load: UNet, VAE (attention as 1×1 convolutions) and
 * text encoder (SD-1: transformers' CLIP names; SD-2: OpenCLIP names with fused q/k/v, the blocks
 * diffusers keeps and no projection, as diffusers' own exporter writes them). The metadata holds
 * Stability's {@code modelspec.*} keys (architecture, prediction type, resolution) and the
 * folder's full configuration under {@code cd4j.model_config}, so converting the file back gives
 * the same folder even where the weights alone are ambiguous.
 */
public final class SingleFileWriter {
    private SingleFileWriter() {}

    /** Writes the folder {@code model} as {@code out}. */
    public static void write(FolderWeights model, Path out, boolean overwrite) throws IOException {
        write(model, Map.of(), out, overwrite);
    }

    /**
     * Writes the folder {@code model} as {@code out}, with {@code unetWeights} (diffusers names)
     * in place of the stored UNet weights of the same names.
     *
     * @throws IllegalArgumentException when a replacement names no UNet weight
     */
    public static void write(FolderWeights model, Map<String, Tensor> unetWeights, Path out, boolean overwrite) throws IOException {
        Map<String, Tensor> unet = new LinkedHashMap<>(model.unet());
        for (Map.Entry<String, Tensor> e : unetWeights.entrySet()) {
            if (unet.replace(e.getKey(), e.getValue()) == null) {
                throw new IllegalArgumentException(model.dir() + ": the UNet has no weight " + e.getKey());
            }
        }
        Parts parts = new Parts(unet, model.vae(), model.textEncoder());
        Map<String, Tensor> ldm = LdmKeys.toLdm(parts, model.unetConfig(), model.vaeConfig(), model.tower(),
                model.textConfig().numHiddenLayers());
        SafetensorsWriter.write(out, ldm, metadata(model), overwrite);
    }

    private static Map<String, String> metadata(FolderWeights model) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("format", "pt");
        boolean v = "v_prediction".equals(model.json().scheduler().path("prediction_type").asText("epsilon"));
        boolean sd2 = model.tower() == TextTower.OPEN_CLIP;
        m.put("modelspec.sai_model_spec", "1.0.0");
        m.put("modelspec.architecture", sd2 ? (v ? "stable-diffusion-v2-768-v" : "stable-diffusion-v2-512") : "stable-diffusion-v1");
        m.put("modelspec.implementation", "https://github.com/Stability-AI/stablediffusion");
        Path name = model.dir().toAbsolutePath().normalize().getFileName();
        m.put("modelspec.title", name == null ? "model" : name.toString());
        m.put("modelspec.prediction_type", v ? "v" : "epsilon");
        Integer size = model.unetConfig().sampleSize();
        if (size != null) {
            int px = size * model.vaeConfig().downscaleFactor();
            m.put("modelspec.resolution", px + "x" + px);
        }
        m.put(ResolvedConfig.METADATA_KEY, model.json().toJson());
        return m;
    }
}
