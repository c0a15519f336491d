package org.cd4j.concept.delta;

import java.nio.file.Path;
import java.util.List;

/**
 * A delta as read from disk, with where it came from.
 *
 * @param delta    the concept
 * @param format   the format it was recognised as
 * @param source   the path the user gave (file or folder)
 * @param warnings things ignored while reading (for the user; the delta is usable)
 */
public record LoadedDelta(ConceptDelta delta, DeltaFormat format, Path source, List<String> warnings) {
    public LoadedDelta {
        warnings = List.copyOf(warnings);
    }
}
