package org.cd4j.concept.data;

import java.nio.file.Path;

/**
 * A picture file with the caption it trains with, and where that pairing came from, so that
 * errors can point at the exact line or folder ("…/class/images.txt line 3").
 *
 * @param path the picture file
 * @param caption its prompt
 * @param origin human-readable provenance of the pairing
 */
public record CaptionedImage(Path path, String caption, String origin) {}
