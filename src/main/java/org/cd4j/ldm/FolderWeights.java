package org.cd4j.ldm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.bytedeco.pytorch.Tensor;
import org.cd4j.io.LoadedWeights;
import org.cd4j.io.WeightFile;
import org.cd4j.pipeline.ModelFolder;
import org.cd4j.text.ClipTextConfig;
import org.cd4j.text.ClipTextModel;
import org.cd4j.unet.UNetConfig;
import org.cd4j.vae.AutoencoderKL;
import org.cd4j.vae.VaeConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The configs and stored weights of a diffusers model folder, read without building any module
 * (safetensors weights are memory-mapped views, valid until {@link #close()}), for writing the
 * model as one file. Legacy VAE attention names are brought to the current ones and the text
 * encoder's extras (its {@code position_ids} buffer, a projection) are left out, as the model
 * loaders do.
 */
public final class FolderWeights implements AutoCloseable {
    private final Path dir;
    private final ModelConfigs json;
    private final ResolvedConfig config;
    private final LoadedWeights unet, vae, text;

    private FolderWeights(Path dir, ModelConfigs json, ResolvedConfig config, LoadedWeights unet, LoadedWeights vae,
                          LoadedWeights text) {
        this.dir = dir;
        this.json = json;
        this.config = config;
        this.unet = unet;
        this.vae = vae;
        this.text = text;
    }

    /** Opens a diffusers Stable Diffusion folder (checked as {@link ModelFolder#open} does). */
    public static FolderWeights open(Path dir) throws IOException {
        ModelFolder f = ModelFolder.open(dir);
        ModelConfigs json = new ModelConfigs(read(f.unet().resolve("config.json")), read(f.vae().resolve("config.json")),
                read(f.textEncoder().resolve("config.json")), read(f.schedulerConfig()));
        ClipTextConfig textConfig = ClipTextConfig.fromJson(json.textEncoder(), f.textEncoder().resolve("config.json").toString());
        // OpenCLIP towers (SD-2) use GELU; OpenAI's CLIP (SD-1) its quick approximation
        LdmKeys.TextTower tower = "gelu".equals(textConfig.hiddenAct()) ? LdmKeys.TextTower.OPEN_CLIP : LdmKeys.TextTower.CLIP;
        ResolvedConfig config = ResolvedConfig.typed(json, tower, dir.toString());
        LoadedWeights u = null, v = null, t = null;
        try {
            u = WeightFile.loadFlat(WeightFile.locate(f.unet(), "UNet", "diffusion_pytorch_model"));
            v = WeightFile.loadFlat(WeightFile.locate(f.vae(), "VAE", "diffusion_pytorch_model"));
            t = WeightFile.loadFlat(WeightFile.locate(f.textEncoder(), "text encoder", "model", "pytorch_model"));
            return new FolderWeights(dir, json, config, u, v, t);
        } catch (IOException | RuntimeException e) {
            for (LoadedWeights w : new LoadedWeights[]{u, v, t}) if (w != null) w.close();
            throw e;
        }
    }

    private static ObjectNode read(Path file) throws IOException {
        JsonNode n;
        try {
            n = ModelConfigs.JSON.readTree(Files.readString(file));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(file + " is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (!(n instanceof ObjectNode o)) throw new IllegalArgumentException(file + " must hold a JSON object");
        return o;
    }

    public Path dir() {
        return dir;
    }

    /** The four config files' contents. */
    public ModelConfigs json() {
        return json;
    }

    public UNetConfig unetConfig() {
        return config.unet();
    }

    public VaeConfig vaeConfig() {
        return config.vae();
    }

    public ClipTextConfig textConfig() {
        return config.text();
    }

    LdmKeys.TextTower tower() {
        return config.tower();
    }

    /** The UNet's stored weights by diffusers name. */
    public Map<String, Tensor> unet() {
        return unet.tensors();
    }

    /** The VAE's stored weights, legacy attention names converted. */
    public Map<String, Tensor> vae() {
        return AutoencoderKL.convertLegacyKeys(vae.tensors());
    }

    /** The text encoder's stored weights without the entries its model ignores. */
    public Map<String, Tensor> textEncoder() {
        Map<String, Tensor> out = new LinkedHashMap<>(text.tensors());
        out.keySet().removeAll(ClipTextModel.IGNORED_KEYS);
        return out;
    }

    @Override
    public void close() throws IOException {
        unet.close();
        vae.close();
        text.close();
    }
}
