package org.cd4j.web;

/**
 * The stores and engines a request handler or a job works with.
 *
 * @param workdir  the folder layout and safe name resolution
 * @param models   the base models given with {@code --model}
 * @param datasets uploaded and generated image sets
 * @param deltas   the delta library
 * @param gallery  generated pictures
 * @param engine   text-to-image with deltas on a cached base model
 * @param collections local picture collections given with {@code --collection}
 */
public record Services(Workdir workdir, ModelRegistry models, Datasets datasets, DeltaStore deltas, Gallery gallery,
                       GenerationEngine engine, CollectionRegistry collections) {
}
