/**
 * The web app ({@code cd4j serve}): a single page and a JSON API over a workdir.
 *
 * <p>{@link org.cd4j.web.WebServer} wires the parts: the {@link org.cd4j.web.Guard} in front of
 * every request (token, cross-site and DNS-rebinding checks), stores for image sets
 * ({@link org.cd4j.web.Datasets}), deltas ({@link org.cd4j.web.DeltaStore}) and generated pictures
 * ({@link org.cd4j.web.Gallery}), the persistent {@link org.cd4j.web.JobQueue} whose job types are
 * one class each ({@link org.cd4j.web.TrainJob}, {@link org.cd4j.web.GenerateJob},
 * {@link org.cd4j.web.RegImagesJob}, {@link org.cd4j.web.CompressJob}, {@link org.cd4j.web.MergeJob}),
 * and live progress as server-sent events ({@link org.cd4j.web.EventBus}). No model logic lives
 * here: jobs call the pipeline and concept packages.
 */
package org.cd4j.web;
