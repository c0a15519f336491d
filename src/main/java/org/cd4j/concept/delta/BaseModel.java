package org.cd4j.concept.delta;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.io.LoadedWeights;
import org.cd4j.io.WeightFile;
import org.cd4j.nn.TensorDigest;
import org.cd4j.nn.Tensors;
import org.cd4j.pipeline.ModelFolder;
import org.cd4j.pipeline.StableDiffusion;
import org.cd4j.text.ClipTextConfig;
import org.cd4j.unet.UNet2DConditionModel;
import org.cd4j.unet.UNetConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;

/**
 * The base model a delta is read against, converted with, applied to or identified by: the UNet's
 * config and original weights {@code W0}, and the text embedding width. {@link #open} reads a
 * model folder without building any module (the UNet weights are memory-mapped), which is all
 * {@code cd4j convert} needs; {@link #of} wraps a loaded pipeline.
 *
 * <p>{@link #identity} hashes the weights the model <em>stores</em>: for a loaded pipeline they are
 * read from its UNet file when it has one, so the identity does not depend on the dtype the model
 * was loaded in, nor on weights changed in memory since (a training run, another delta).
 */
public final class BaseModel implements AutoCloseable {
    private final String name;
    private final UNetConfig config;
    private final int tokenDim;
    private final Map<String, Tensor> live;
    private final Path weightsFile;
    private final java.util.List<String> attentionModules;
    private LoadedWeights stored;

    private BaseModel(String name, UNetConfig config, int tokenDim, Map<String, Tensor> live, Path weightsFile,
                      java.util.List<String> attentionModules) {
        this.name = name;
        this.config = config;
        this.tokenDim = tokenDim;
        this.live = live;
        this.weightsFile = weightsFile;
        this.attentionModules = attentionModules;
    }

    /** Reads the configs of a diffusers model folder and maps its UNet weights. */
    public static BaseModel open(Path modelDir) throws IOException {
        ModelFolder f = ModelFolder.open(modelDir);
        UNetConfig config = UNetConfig.load(f.unet().resolve(UNet2DConditionModel.CONFIG));
        int dim = ClipTextConfig.load(f.textEncoder().resolve("config.json")).hiddenSize();
        Path file = WeightFile.locate(f.unet(), "UNet", "diffusion_pytorch_model");
        BaseModel m = new BaseModel(ModelFolder.displayName(modelDir), config, dim, null, file, UNetLayout.of(config).attentionModules());
        m.stored();
        return m;
    }

    /** The model of a loaded pipeline; its stored weights are read from its folder on demand. */
    public static BaseModel of(StableDiffusion sd) {
        Path dir = sd.folder() == null ? null : sd.folder().dir();
        Path file = sd.folder() == null ? null : unetWeights(sd.folder().unet());
        return new BaseModel(dir == null ? "model" : ModelFolder.displayName(dir), sd.unet().config(),
                (int) sd.textEncoder().tokenEmbedding().size(1), sd.unet().namedParameters(), file,
                java.util.List.copyOf(sd.unet().attentions().keySet()));
    }

    /** The UNet weights file the pipeline was loaded from, or null when it is gone. */
    private static Path unetWeights(Path unetDir) {
        try {
            return WeightFile.locate(unetDir, "UNet", "diffusion_pytorch_model");
        } catch (IOException e) {
            return null;
        }
    }

    private LoadedWeights stored() throws IOException {
        if (stored == null && weightsFile != null) stored = WeightFile.loadFlat(weightsFile);
        return stored;
    }

    /** The model's folder name ({@code org/name} for a hub snapshot), recorded in deltas as {@code base_model_name}. */
    public String name() {
        return name;
    }

    public UNetConfig unetConfig() {
        return config;
    }

    /** Width of a token embedding row (the text encoder's hidden size). */
    public int tokenDim() {
        return tokenDim;
    }

    /** Attention module names in diffusers' {@code attn_processors} order. */
    public java.util.List<String> attentionModules() {
        return attentionModules;
    }

    /** The shape of a UNet parameter, or null when the model has none of that name. */
    public long[] shape(String param) throws IOException {
        if (live != null) {
            Tensor t = live.get(param);
            return t == null ? null : Tensors.shape(t);
        }
        Tensor t = stored().tensors().get(param);
        return t == null ? null : Tensors.shape(t);
    }

    /**
     * {@code W0}: the parameter as the model stores it (its file; for a pipeline without a file,
     * its current value). Views of a mapped file stay valid until {@link #close()}.
     *
     * @throws IllegalArgumentException when the model has no such parameter
     */
    public Tensor weight(String param) throws IOException {
        LoadedWeights s = stored();
        Tensor t = s != null ? s.tensors().get(param) : null;
        if (t == null && live != null) t = live.get(param);
        if (t == null) throw new IllegalArgumentException("base model " + name + " has no UNet parameter " + param);
        return t;
    }

    /**
     * The base-model identity of a delta over {@code params}: SHA-256 of, for each name in sorted
     * order, the name in UTF-8 followed by {@code W0} as little-endian float32 bytes (converted
     * from whatever dtype the model stores). Lower-case hex. A token-only delta
     * ({@code --freeze-model all}) replaces no weight; an empty {@code params} therefore stands for
     * the cross-attention key/value weights its tokens are read through, so that it too is tied
     * to its base model instead of matching every model.
     */
    public String identity(Collection<String> params) throws IOException {
        Collection<String> covered = params.isEmpty() ? keyValueParams() : params;
        Map<String, Tensor> w0 = new TreeMap<>();
        for (String p : covered) w0.put(p, weight(p));
        return TensorDigest.sha256(w0);
    }

    /** The cross-attention key/value parameters of the UNet. */
    private java.util.List<String> keyValueParams() throws IOException {
        Collection<String> all = live != null ? live.keySet() : stored().tensors().keySet();
        return all.stream().filter(n -> CrossAttnParams.isValid(n) && CrossAttnParams.isKeyOrValue(n)).toList();
    }

    @Override
    public void close() throws IOException {
        if (stored != null) stored.close();
        stored = null;
    }
}
