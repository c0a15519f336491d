/**
 * Real regularisation pictures ("real prior", reference §1.10): a client of clip-retrieval's
 * {@code knn-service} and a bounded parallel downloader, an offline ranking of a local captioned
 * collection by the base model's CLIP text features, and the writer of the layout
 * ({@code images/}, {@code caption.txt}, {@code images.txt}, {@code urls.txt}) that
 * {@link org.cd4j.concept.data.ClassImages} reads for {@code cd4j train --real-prior}.
 */
package org.cd4j.concept.retrieve;
