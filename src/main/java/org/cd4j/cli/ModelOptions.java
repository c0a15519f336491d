package org.cd4j.cli;

import org.cd4j.hub.HubException;
import org.cd4j.hub.HubSettings;
import org.cd4j.hub.StableDiffusionFiles;
import org.cd4j.pipeline.ModelSource;
import org.cd4j.pretrain.MiniModel;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
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

    @Option(names = "--model-config", paramLabel = "FILE",
            description = "With a single-file checkpoint (as --model, or as convert's --input): what its weights cannot tell,"
                    + " as JSON, e.g. {\"prediction_type\": \"v_prediction\", \"upcast_attention\": true}, or an LDM .yaml such as"
                    + " v2-inference-v.yaml (default: <checkpoint name>.yaml beside the file, if any; see the README).")
    Path modelConfig;

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
            if (modelConfig != null) throw new UsageException("--model-config needs a single-file checkpoint as --model");
        }
        Map<String, String> env = ((Main) mixee.root().userObject()).env();
        Path cache = MiniModel.defaultCache(env);
        // no --model: the mini model cd4j ships (unpacked into its cache on first use)
        if (model == null) return new ModelSource.Resolved(MiniModel.folder(cache), "cd4j mini model");
        HubSettings hub;
        try {
            hub = HubSettings.fromEnvironment(env);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        try (DownloadProgress progress = new DownloadProgress(System.err)) {
            return ModelSource.resolve(model, new ModelSource.Options(revision, variant, modelConfig, parts), hub, cache, progress);
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
