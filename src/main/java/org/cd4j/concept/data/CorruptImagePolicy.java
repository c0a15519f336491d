package org.cd4j.concept.data;

/**
 * What to do with a picture that cannot be decoded (truncated download, wrong extension, a
 * text file named {@code .jpg}). Retrieved LAION sets often hold a few broken files, so skipping
 * is useful there; refusing is the safe default for the user's own instance pictures.
 */
public enum CorruptImagePolicy {
    /** Stop with an error naming the file. */
    REFUSE,
    /** Leave the file out, with one warning naming it. */
    SKIP
}
