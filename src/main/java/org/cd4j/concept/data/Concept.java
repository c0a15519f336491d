package org.cd4j.concept.data;

import java.nio.file.Path;

/**
 * One concept to learn: its pictures and prompt, and optionally the regularisation ("class" or
 * "prior") set of the same category with its prompt. The fields are the reference's
 * {@code concepts_list} JSON keys ({@code instance_prompt}, {@code class_prompt},
 * {@code instance_data_dir}, {@code class_data_dir}); see {@link ConceptsList}.
 *
 * @param instancePrompt the caption of every instance picture, holding a modifier token
 *     ("photo of a &lt;new1&gt; cat")
 * @param classPrompt the caption of generated or folder class pictures ("cat"); null when no
 *     class set is given (a real-prior set carries its own captions)
 * @param instanceDataDir the folder of instance pictures
 * @param classDataDir the class set: a folder of pictures, or the real-prior layout
 *     ({@link ClassImages}); null when none is given
 */
public record Concept(String instancePrompt, String classPrompt, Path instanceDataDir, Path classDataDir) {
    /** Checks that the instance side is present. */
    public Concept {
        if (instancePrompt == null || instancePrompt.isBlank()) {
            throw new IllegalArgumentException("a concept needs a non-empty instance prompt");
        }
        if (instanceDataDir == null) throw new IllegalArgumentException("a concept needs an instance data folder");
    }

    /** A concept without a class set. */
    public static Concept instanceOnly(String instancePrompt, Path instanceDataDir) {
        return new Concept(instancePrompt, null, instanceDataDir, null);
    }
}
