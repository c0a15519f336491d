package org.cd4j.concept.retrieve;

import java.util.Set;

/**
 * The fields of a clip-retrieval {@code knn-service} query besides the text and the count
 * (clip_retrieval/clip_client.py {@code ClipClient}; the back end is clip_back.py {@code KnnService.post}).
 *
 * @param indiceName          the index to search ({@code indice_name}, e.g. "laion_400m", "laion5B-L-14")
 * @param modality            "image": text query against the image embeddings (the client's default,
 *                            which the reference keeps), or "text": against the caption embeddings
 * @param deduplicate         the back end drops near-identical images (embedding similarity ≥ 0.94)
 * @param useSafetyModel      the back end drops images its NSFW classifier flags
 * @param useViolenceDetector the back end drops images its violence prompts flag
 * @param aestheticScore      0–9: the query is pulled towards the embedding of images rated this
 *                            pretty; null for no aesthetic term (sent as "", which the back end reads as none)
 * @param aestheticWeight     how strongly (the reference uses 0.1; the client's default is 0.5)
 * @param useMclip            query with the multilingual CLIP text encoder
 */
public record KnnOptions(String indiceName, String modality, boolean deduplicate, boolean useSafetyModel,
                         boolean useViolenceDetector, Integer aestheticScore, double aestheticWeight, boolean useMclip) {
    /** What the reference's {@code retrieve.py} sends (its explicit arguments plus the client's defaults). */
    public static final KnnOptions REFERENCE = new KnnOptions("laion_400m", "image", true, true, true, 9, 0.1, false);

    /** Checks the values the back end would refuse or misread (messages name the CLI flags). */
    public KnnOptions {
        if (indiceName == null || indiceName.isBlank()) throw new IllegalArgumentException("--indice-name must not be empty");
        if (!Set.of("image", "text").contains(modality)) {
            throw new IllegalArgumentException("--modality must be image or text, got '" + modality + "'");
        }
        if (aestheticScore != null && (aestheticScore < 0 || aestheticScore > 9)) {
            throw new IllegalArgumentException("--aesthetic-score must be between 0 and 9 (the back end's rating embeddings), got " + aestheticScore);
        }
        if (!(aestheticWeight >= 0 && aestheticWeight <= 1)) {
            throw new IllegalArgumentException("--aesthetic-weight must be between 0 and 1, got " + aestheticWeight);
        }
    }
}
