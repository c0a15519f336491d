package org.cd4j.concept.retrieve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A client of clip-retrieval's {@code knn-service} end point, as {@code ClipClient.query(text=…)}
 * calls it: a POST of one JSON object ({@code text}, {@code image}, {@code image_url},
 * {@code embedding_input}, {@code deduplicate}, {@code use_safety_model},
 * {@code use_violence_detector}, {@code indice_name}, {@code use_mclip}, {@code aesthetic_score},
 * {@code aesthetic_weight}, {@code modality}, {@code num_images}, {@code num_result_ids}), answered
 * by a JSON list of results, best first, each with {@code url}, {@code caption},
 * {@code similarity} and {@code id} (plus any other metadata columns the index returns).
 *
 * <p>Time-outs and server errors are retried as for pictures ({@link HttpSettings}); the final
 * failure is a {@link RetrievalException} naming the service and what it answered.
 */
public final class KnnService {
    /** The largest answer read (10 000 results with long captions are a few MB). */
    static final long MAX_ANSWER_BYTES = 64L << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI url;
    private final KnnOptions options;
    private final Http http;

    /**
     * @param url the end point, e.g. {@code http://localhost:1234/knn-service}
     * @throws IllegalArgumentException when {@code url} is not an http(s) address
     */
    public KnnService(String url, KnnOptions options, HttpSettings settings) {
        try {
            this.url = Http.httpUri(url);
        } catch (FetchFailure e) {
            throw new IllegalArgumentException("--service '" + url + "' is not an http(s) address (e.g. http://localhost:1234/knn-service)");
        }
        this.options = options;
        this.http = new Http(settings);
    }

    /** The end point. */
    public URI url() {
        return url;
    }

    /** The JSON body of a text query for {@code numImages} results. */
    ObjectNode body(String text, int numImages) {
        ObjectNode b = JSON.createObjectNode();
        b.put("text", text);
        b.putNull("image");
        b.putNull("image_url");
        b.putNull("embedding_input");
        b.put("deduplicate", options.deduplicate());
        b.put("use_safety_model", options.useSafetyModel());
        b.put("use_violence_detector", options.useViolenceDetector());
        b.put("indice_name", options.indiceName());
        b.put("use_mclip", options.useMclip());
        if (options.aestheticScore() == null) {
            b.put("aesthetic_score", "");
            b.put("aesthetic_weight", "");
        } else {
            b.put("aesthetic_score", options.aestheticScore());
            b.put("aesthetic_weight", options.aestheticWeight());
        }
        b.put("modality", options.modality());
        b.put("num_images", numImages);
        b.put("num_result_ids", numImages); // the client sends the same number for both
        return b;
    }

    /**
     * Asks for the {@code numImages} nearest pictures to {@code text}. Results without an
     * address are left out; a missing caption becomes "" (the caller substitutes the class prompt).
     */
    public List<Candidate> query(String text, int numImages) throws IOException, InterruptedException {
        byte[] body = JSON.writeValueAsBytes(body(text, numImages));
        HttpRequest req = http.request(url).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        Http.Answer a;
        try {
            a = http.send(req, MAX_ANSWER_BYTES);
        } catch (FetchFailure f) {
            String hint = f.reason().equals("timed out") ? " within " + seconds(http.settings().timeout()) + " s (--timeout)" : "";
            throw new RetrievalException("the knn service at " + url + " (--service) " + (f.reason().equals("timed out")
                    ? "did not answer" + hint : "could not be reached: " + f.getMessage())
                    + (http.settings().retries() > 0 ? ", after " + (http.settings().retries() + 1) + " attempts" : ""), f);
        }
        if (!a.ok()) {
            throw new RetrievalException("the knn service at " + url + " (--service) answered HTTP " + a.status() + message(a.body()));
        }
        return parse(a.body());
    }

    /** The results of an answer; anything but a JSON list of objects is an error naming the service. */
    List<Candidate> parse(byte[] answer) throws RetrievalException {
        JsonNode root;
        try {
            root = JSON.readTree(answer);
        } catch (IOException e) {
            throw new RetrievalException("the knn service at " + url + " answered something that is not JSON"
                    + snippet(answer) + " (is --service the knn-service end point?)");
        }
        if (root == null || !root.isArray()) {
            throw new RetrievalException("the knn service at " + url + " answered " + (root != null && root.isObject() && root.has("message")
                    ? "an error: " + root.get("message").asText() : "JSON that is not a list of results" + snippet(answer)));
        }
        List<Candidate> out = new ArrayList<>();
        for (JsonNode r : root) {
            JsonNode u = r.get("url");
            if (u == null || !u.isTextual() || u.asText().isBlank()) continue;
            JsonNode c = r.get("caption");
            double sim = r.path("similarity").asDouble(Double.NaN);
            out.add(Candidate.remote(u.asText().strip(), c == null || c.isNull() ? "" : Captions.clean(c.asText()), sim));
        }
        return out;
    }

    /** A duration in seconds as people write it: "30", "1.5". */
    static String seconds(java.time.Duration d) {
        return java.math.BigDecimal.valueOf(d.toMillis(), 3).stripTrailingZeros().toPlainString();
    }

    /** The back end's error message, when its answer carries one ({"message": …} from flask-restful). */
    private static String message(byte[] body) {
        try {
            JsonNode n = JSON.readTree(body);
            if (n != null && n.has("message")) return ": " + n.get("message").asText();
        } catch (IOException e) {
            // not JSON: show its start
        }
        return snippet(body);
    }

    private static String snippet(byte[] body) {
        String s = new String(body, 0, Math.min(body.length, 200), StandardCharsets.UTF_8).replaceAll("\\s+", " ").strip();
        return s.isEmpty() ? "" : " (\"" + s.replaceAll("\\p{Cntrl}", "?") + (body.length > 200 ? "…" : "") + "\")";
    }
}
