package org.cd4j.web;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.cd4j.pipeline.ModelFolder;
import org.cd4j.unet.UNetConfig;
import org.cd4j.vae.VaeConfig;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The base models the server was started with ({@code --model DIR}, repeatable), each checked at
 * start-up and known to the page by a short id (its folder name). Requests name models only by
 * id, never by path, so no request can make the server open a folder it was not given.
 */
public final class ModelRegistry {
    /**
     * One base model.
     *
     * @param id          the folder name, or {@code org_name} for a hub snapshot (made unique)
     * @param dir         the diffusers folder
     * @param defaultSize the native image side in pixels (UNet sample size × VAE factor)
     * @param crossAttentionDim the text-state width, to tell SD-1 (768) from SD-2 (1024)
     */
    public record Model(String id, Path dir, int defaultSize, int crossAttentionDim) {}

    private final IdRegistry<Model> models = new IdRegistry<>("model", "the server has no model; start it with cd4j serve --model DIR");

    private ModelRegistry() {}

    /** Checks every folder (a clear error names the bad one) and assigns ids. */
    public static ModelRegistry of(List<Path> dirs) throws IOException {
        ModelRegistry r = new ModelRegistry();
        for (Path d : dirs) {
            Path dir = d.toAbsolutePath().normalize();
            ModelFolder f = ModelFolder.open(dir);
            UNetConfig unet = UNetConfig.load(f.unet().resolve("config.json"));
            VaeConfig vae = VaeConfig.load(f.vae().resolve("config.json"));
            int factor = 1 << (vae.blockOutChannels().size() - 1);
            Integer sample = unet.sampleSize();
            int size = (sample == null ? 64 : sample) * factor;
            long width = unet.crossAttentionDim().get(0);
            r.models.add(ModelFolder.displayName(dir), "m", id -> new Model(id, dir, size, (int) width));
        }
        return r;
    }

    /** The model with this id (400 when unknown: the id came from a request). */
    public Model get(String id) {
        return models.get(id);
    }

    public List<Model> all() {
        return models.all();
    }

    /** The models as the page lists them (no server paths). */
    public ArrayNode toJson() {
        ArrayNode a = Json.array();
        for (Model m : models.all()) {
            ObjectNode o = a.addObject();
            o.put("id", m.id());
            o.put("defaultSize", m.defaultSize());
            o.put("family", m.crossAttentionDim() == 1024 ? "SD 2.x" : m.crossAttentionDim() == 768 ? "SD 1.x" : "SD (" + m.crossAttentionDim() + "-d text)");
        }
        return a;
    }
}
