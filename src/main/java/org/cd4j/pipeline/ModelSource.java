package org.cd4j.pipeline;

import org.cd4j.hub.DownloadListener;
import org.cd4j.hub.FileSelector;
import org.cd4j.hub.HubDownloader;
import org.cd4j.hub.HubException;
import org.cd4j.hub.HubSettings;
import org.cd4j.hub.RepoId;
import org.cd4j.hub.StableDiffusionFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Turns what a user passes as {@code --model} into a local diffusers folder: an existing folder
 * is itself; a single-file {@code .ckpt}/{@code .safetensors} checkpoint is converted once into a
 * cached folder ({@link org.cd4j.ldm.SingleFileModel}); a hub id ({@code org/name}) is the
 * snapshot folder in the hub cache, downloaded first if needed (only the files the pipeline
 * loads). Anything else is refused with a message saying what {@code --model} accepts.
 */
public final class ModelSource {
    /** The branch a hub id means when no {@code --revision} is given. */
    public static final String DEFAULT_REVISION = "main";

    /**
     * How to find the model.
     *
     * @param revision    {@code --revision}: branch, tag or commit of a hub id, or null for {@value #DEFAULT_REVISION}
     * @param variant     {@code --variant}: the weights variant of a hub id ({@code fp16}), or null for the plain weights
     * @param modelConfig {@code --model-config}: the configuration of a single-file checkpoint, or null
     * @param parts       the pipeline parts needed ({@link StableDiffusionFiles#PARTS}, or fewer)
     */
    public record Options(String revision, String variant, Path modelConfig, Set<String> parts) {
        public Options {
            parts = Set.copyOf(parts);
            if (parts.isEmpty() || !StableDiffusionFiles.PARTS.containsAll(parts)) {
                throw new IllegalArgumentException("parts must be some of " + StableDiffusionFiles.PARTS + ", got " + parts);
            }
            if (revision != null && revision.isBlank()) throw new BadModelException("--revision must not be empty");
            try {
                StableDiffusionFiles.checkVariant(variant);
            } catch (IllegalArgumentException e) {
                throw new BadModelException(e.getMessage());
            }
        }

        /** The whole pipeline, no flags. */
        public static Options pipeline() {
            return new Options(null, null, null, Set.copyOf(StableDiffusionFiles.PARTS));
        }

        String effectiveRevision() {
            return revision == null ? DEFAULT_REVISION : revision;
        }
    }

    /**
     * Where {@code --model} led.
     *
     * @param dir    the diffusers folder
     * @param origin what it is, for records: the folder's absolute path, or {@code org/name@commit}
     */
    public record Resolved(Path dir, String origin) {}

    /** The {@code --model} value or a flag beside it is wrong (a usage error, not a failure). */
    public static final class BadModelException extends IllegalArgumentException {
        public BadModelException(String message) {
            super(message);
        }
    }

    private ModelSource() {}

    /**
     * Resolves {@code model}.
     *
     * @param cacheRoot cd4j's own cache; a single-file checkpoint is converted into {@code single-file/} there
     * @throws BadModelException    when {@code model} is neither a folder nor a hub id, or a flag does not apply
     * @throws HubException         when the hub download fails (unknown repository, network, hash …)
     * @throws IllegalArgumentException when the hub repository is not a Stable Diffusion pipeline cd4j loads
     */
    public static Resolved resolve(String model, Options options, HubSettings hub, Path cacheRoot, DownloadListener listener)
            throws IOException {
        if (model == null || model.isBlank()) throw new BadModelException("--model must not be empty");
        Path path = asPath(model);
        if (path != null && Files.isDirectory(path)) {
            refuseFlags(options, model, "a folder", true);
            return new Resolved(path, path.toAbsolutePath().normalize().toString());
        }
        if (path != null && Files.isRegularFile(path) && isCheckpointName(path)) {
            // a single-file checkpoint from a model site: converted once into a cached diffusers folder
            refuseFlags(options, model, "a single-file checkpoint", false);
            Path dir = org.cd4j.ldm.SingleFileModel.materialize(path, options.modelConfig(), cacheRoot.resolve("single-file"),
                    note -> listener.note(path.getFileName() + ": " + note));
            return new Resolved(dir, path.toAbsolutePath().normalize().toString());
        }
        if (path != null && Files.exists(path)) {
            throw new BadModelException("--model " + model + " is a file; it takes a diffusers Stable Diffusion folder"
                    + " (model_index.json, unet/, vae/ …), a single-file .ckpt/.safetensors checkpoint"
                    + " or a hub id such as runwayml/stable-diffusion-v1-5");
        }
        Optional<RepoId> repo = RepoId.parse(model);
        if (repo.isEmpty()) {
            throw new BadModelException("--model '" + model + "' is neither an existing folder nor a hub id of the form org/name"
                    + " (such as runwayml/stable-diffusion-v1-5)");
        }
        if (options.modelConfig() != null) {
            throw new BadModelException("--model-config does not apply: --model " + model + " is a hub id (it applies to single-file checkpoints)");
        }
        return fromHub(repo.get(), options, hub, listener);
    }

    private static boolean isCheckpointName(Path p) {
        String n = p.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        return n.endsWith(".ckpt") || n.endsWith(".safetensors");
    }

    private static Resolved fromHub(RepoId repo, Options o, HubSettings hub, DownloadListener listener) throws IOException {
        String revision = o.effectiveRevision();
        FileSelector files = new FileSelector() {
            @Override
            public List<String> select(List<String> all) {
                return StableDiffusionFiles.select(all, o.variant(), o.parts());
            }

            @Override
            public boolean settledByCache(List<String> selection) {
                return StableDiffusionFiles.allOfVariant(selection, o.variant());
            }

            @Override
            public void check(String path, Path file) {
                if (path.equals("model_index.json")) ModelFolder.checkIndex(file); // before any weights are fetched
            }
        };
        Path dir;
        try {
            dir = new HubDownloader(hub).snapshot(repo, revision, files, listener);
        } catch (HubException e) {
            if (e.kind() != HubException.Kind.REPO_NOT_FOUND) throw e;
            throw new HubException(e.kind(), "--model " + repo + " is not a local folder, and " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("hub repository " + repo + " at revision '" + revision
                    + "' is not a diffusers Stable Diffusion 1.x/2.x pipeline cd4j can load: " + e.getMessage(), e);
        }
        return new Resolved(dir, repo + "@" + dir.getFileName());
    }

    /** Refuses the hub flags, and {@code --model-config} too unless the model is a single file. */
    private static void refuseFlags(Options o, String model, String what, boolean modelConfigToo) {
        String flag = o.revision() != null ? "--revision" : o.variant() != null ? "--variant"
                : modelConfigToo && o.modelConfig() != null ? "--model-config" : null;
        if (flag != null) {
            throw new BadModelException(flag + " does not apply: --model " + model + " is " + what
                    + (flag.equals("--model-config") ? " (it applies to single-file checkpoints)" : " (it applies to hub ids)"));
        }
    }

    /** The string as a path, or null when it cannot be one on this system. */
    private static Path asPath(String s) {
        try {
            return Path.of(s.startsWith("~/") ? System.getProperty("user.home") + s.substring(1) : s);
        } catch (InvalidPathException e) {
            return null;
        }
    }
}
