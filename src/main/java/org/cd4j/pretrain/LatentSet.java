package org.cd4j.pretrain;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.cd4j.io.SafetensorsFile;
import org.cd4j.io.SafetensorsWriter;
import org.cd4j.vae.AutoencoderKL;
import org.cd4j.world.Scene;
import org.cd4j.world.World;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The diffusion stage's training set: {@code n} world pictures encoded once by the trained VAE.
 * The posterior moments (mean and log-variance, (N, 8, h, w)) are kept rather than one sample, so
 * every epoch draws fresh latents from the posterior as a VAE-on-the-fly trainer would; the
 * scenes are kept so captions can name a different choice of attributes each time.
 */
final class LatentSet {
    private final Tensor moments;
    private final List<Scene> scenes;

    private LatentSet(Tensor moments, List<Scene> scenes) {
        this.moments = moments;
        this.scenes = scenes;
    }

    int size() {
        return scenes.size();
    }

    Scene scene(int i) {
        return scenes.get(i);
    }

    /** (B, 8, h, w) moments of the given samples. */
    Tensor moments(int[] indices) {
        long[] l = new long[indices.length];
        for (int i = 0; i < l.length; i++) l[i] = indices[i];
        return moments.index_select(0, org.cd4j.nn.Tensors.fromLongs(l, l.length));
    }

    /** Loads {@code file} if it holds {@code n} samples encoded by this VAE, else encodes and writes it. */
    static LatentSet loadOrEncode(Path file, World world, AutoencoderKL vae, int n, long indexOffset,
                                  PretrainListener listener) throws IOException {
        List<Scene> scenes = new ArrayList<>(n);
        if (Files.isRegularFile(file)) {
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                Tensor m = f.tensor("moments");
                if (m.size(0) == n) {
                    for (int i = 0; i < n; i++) scenes.add(world.pretrainingScene(indexOffset + i));
                    listener.message("latents: reusing " + file);
                    return new LatentSet(m.clone(), scenes);
                }
            }
        }
        listener.message("latents: encoding " + n + " pictures");
        List<Tensor> parts = new ArrayList<>();
        try (NoGradGuard g = new NoGradGuard()) {
            for (int start = 0; start < n; start += 64) {
                List<BufferedImage> imgs = new ArrayList<>();
                for (int i = start; i < Math.min(n, start + 64); i++) {
                    var s = world.pretrainingSample(indexOffset + i);
                    imgs.add(s.image());
                    scenes.add(s.scene());
                }
                try (PointerScope scope = new PointerScope()) {
                    Tensor m = vae.encodeMoments(WorldTensors.of(imgs));
                    m.retainReference();
                    parts.add(m);
                }
                if ((start / 64) % 50 == 0) listener.message("latents: " + Math.min(n, start + 64) + "/" + n);
            }
        }
        Tensor all = torch.cat(new TensorVector(parts.toArray(new Tensor[0])), 0);
        for (Tensor t : parts) t.releaseReference();
        SafetensorsWriter.write(file, Map.of("moments", all), Map.of("count", Integer.toString(n)), true);
        return new LatentSet(all, scenes);
    }
}
