package org.cd4j.cli;

import org.cd4j.hub.HubException;
import org.cd4j.hub.HubSettings;
import org.cd4j.hub.StableDiffusionFiles;
import org.cd4j.pipeline.ModelSource;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.util.Set;

/**
 * The flags that go with {@code --model} in every subcommand that takes one, and the one way
 * the value is resolved ({@link ModelSource}): a folder, or a hub id downloaded into the hub cache
 * with a progress bar. Hub settings come from the environment {@link Main} was given.
 */
final class ModelOptions {
    @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
    CommandLine.Model.CommandSpec mixee;

    @Option(names = "--revision", paramLabel = "REV",
            description = "With a hub id as --model: the branch, tag or commit to use (default: main).")
    String revision;

    @Option(names = "--variant", paramLabel = "NAME",
            description = "With a hub id as --model: download the weights of this variant, e.g. fp16 (half the size).")
    String variant;

    /** The whole pipeline that {@code model} names, downloaded if it is a hub id not yet in the cache. */
    ModelSource.Resolved resolve(String model) throws IOException {
        return resolve(model, Set.copyOf(StableDiffusionFiles.PARTS));
    }

    /** Like {@link #resolve(String)}, for only some parts of the pipeline (e.g. the tokenizer). */
    ModelSource.Resolved resolve(String model, Set<String> parts) throws IOException {
        if (model == null) {
            if (revision != null || variant != null) {
                throw new UsageException((revision != null ? "--revision" : "--variant") + " needs a hub id as --model (e.g. --model runwayml/stable-diffusion-v1-5)");
            }
            // no --model: the mini model cd4j ships (unpacked into its cache on first use)
            return new ModelSource.Resolved(org.cd4j.pretrain.MiniModel.folder(), "cd4j mini model");
        }
        HubSettings hub;
        try {
            hub = HubSettings.fromEnvironment(((Main) mixee.root().userObject()).env());
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        try (DownloadProgress progress = new DownloadProgress(System.err)) {
            return ModelSource.resolve(model, new ModelSource.Options(revision, variant, null, parts), hub, progress);
        } catch (ModelSource.BadModelException e) {
            throw new UsageException(e.getMessage());
        } catch (HubException e) {
            // A repository or revision that does not exist is a wrong --model or --revision.
            if (e.kind() == HubException.Kind.REPO_NOT_FOUND || e.kind() == HubException.Kind.REVISION_NOT_FOUND) {
                throw new UsageException(e.getMessage());
            }
            throw e;
        }
    }
}
