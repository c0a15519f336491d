package org.cd4j.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.cd4j.concept.retrieve.CaptionRanker;
import org.cd4j.concept.retrieve.HttpSettings;
import org.cd4j.concept.retrieve.ImageCollector;
import org.cd4j.concept.retrieve.KnnOptions;
import org.cd4j.concept.retrieve.KnnService;
import org.cd4j.concept.retrieve.LocalCollection;
import org.cd4j.concept.retrieve.Retrieval;
import org.cd4j.concept.retrieve.RetrievalException;
import org.cd4j.concept.retrieve.RetrievalListener;
import org.cd4j.concept.retrieve.RetrievalStopped;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * "Retrieve real class pictures": fills a new class set with real pictures of a category in the
 * real-prior layout ({@link Retrieval}) — from a clip-retrieval knn service whose address the
 * user gives, or from a local collection the server was started with ({@code --collection}),
 * ranked by the chosen model's CLIP text features. A training that picks the set trains on the
 * retrieved captions. A failed or cancelled retrieval removes its set; one stopped by a server
 * shutdown starts over into the same set at the next start.
 */
public final class RetrieveJob implements JobKind {
    @Override
    public String type() {
        return "retrieve-images";
    }

    @Override
    public ObjectNode prepare(JsonNode req, Services s) {
        ObjectNode p = Json.object();
        String prompt = Json.required(req, "classPrompt", 500).strip();
        p.put("classPrompt", prompt);
        p.put("count", Json.integer(req, "count", 200, 1, Datasets.MAX_IMAGES));
        String source = Json.text(req, "source", null, 20);
        if ("service".equals(source)) {
            String url = Json.required(req, "service", 500).strip();
            p.put("service", url);
            p.put("indiceName", Json.text(req, "indiceName", KnnOptions.REFERENCE.indiceName(), 200).strip());
            boolean aesthetic = Json.bool(req, "aesthetic", true);
            p.put("aesthetic", aesthetic);
            p.put("safety", Json.bool(req, "safety", true));
            try {
                new KnnService(url, options(p), HttpSettings.DEFAULT);
            } catch (IllegalArgumentException e) {
                throw ApiException.bad(e.getMessage().replace("--service", "the service address").replace("--indice-name", "the index name"));
            }
        } else if ("collection".equals(source)) {
            p.put("collection", s.collections().get(Json.required(req, "collection", 200)).id());
            String def = s.models().all().isEmpty() ? null : s.models().all().get(0).id();
            p.put("model", s.models().get(Json.text(req, "model", def, 200)).id());
        } else {
            throw ApiException.bad("source must be 'service' (a clip-retrieval knn-service address) or 'collection' (a server folder)");
        }
        p.put("source", source);
        try {
            String name = "retrieved: " + prompt;
            String id = s.datasets().create(name, "class", prompt, p.path("model").asText(null), null).get("id").asText();
            s.datasets().markRetrieved(id);
            p.put("dataset", id);
        } catch (IOException e) {
            throw ApiException.bad(e.getMessage());
        }
        return p;
    }

    /** The knn query options of a job: the reference's, with the aesthetic term and safety filters as chosen. */
    private static KnnOptions options(ObjectNode p) {
        KnnOptions r = KnnOptions.REFERENCE;
        boolean safety = p.get("safety").asBoolean();
        return new KnnOptions(p.get("indiceName").asText(), r.modality(), r.deduplicate(), safety, safety,
                p.get("aesthetic").asBoolean() ? r.aestheticScore() : null, r.aestheticWeight(), false);
    }

    @Override
    public String title(ObjectNode params) {
        return "real class pictures: " + params.path("classPrompt").asText();
    }

    @Override
    public JsonNode run(JobContext ctx) throws Exception {
        Services s = ctx.services();
        ObjectNode p = ctx.params();
        String dataset = p.get("dataset").asText();
        Path dir = s.datasets().dir(dataset);
        int count = p.get("count").asInt();
        Retrieval.Target t = new Retrieval.Target(p.get("classPrompt").asText(), dir, false, new ImageCollector.Options(count, 8, ImageUpload.MAX_PIXELS));
        RetrievalListener l = new RetrievalListener() {
            @Override
            public void log(String message) {
                // no server paths on the page: the set and the collection go by their names
                String m = message.replace(dir.toString(), "the class set");
                if (p.has("collection")) m = m.replace(s.collections().get(p.get("collection").asText()).dir().toString(),
                        "collection " + p.get("collection").asText());
                ctx.log(m);
            }

            @Override
            public void progress(int accepted, int target, int tried, int failed) {
                ctx.step("retrieving", accepted, target, pr -> {
                    pr.put("fetched", tried);
                    pr.put("failed", failed);
                });
            }

            @Override
            public boolean stopRequested() {
                return ctx.stopRequested();
            }
        };
        Retrieval.Outcome o;
        try {
            if (p.get("source").asText().equals("service")) {
                ctx.progress(pr -> pr.put("phase", "asking the service"));
                HttpSettings http = new HttpSettings(Duration.ofSeconds(30), 2, Duration.ofSeconds(1), ImageUpload.MAX_BYTES);
                o = Retrieval.fromService(new KnnService(p.get("service").asText(), options(p), http), 10_000, http, t, l);
            } else {
                ctx.progress(pr -> pr.put("phase", "ranking captions"));
                LocalCollection c = LocalCollection.read(s.collections().get(p.get("collection").asText()).dir());
                CaptionRanker ranker = CaptionRanker.load(s.models().get(p.get("model").asText()).dir());
                o = Retrieval.fromCollection(c, ranker, ImageUpload.MAX_BYTES, t, l);
            }
        } catch (RetrievalStopped e) {
            // a server shutdown re-queues the job, which then starts over into the same set
            if (!ctx.shutdownRequested()) s.datasets().delete(dataset);
            throw new JobContext.Stopped();
        } catch (RetrievalException e) {
            s.datasets().delete(dataset);
            throw new ApiException(502, e.getMessage()); // the service's or the links' fault: reported as the job's error
        } catch (Exception e) {
            s.datasets().delete(dataset);
            throw e;
        }
        ctx.log(o.summary());
        ObjectNode r = Json.object();
        r.put("dataset", dataset);
        r.put("count", o.written());
        r.put("wanted", count);
        r.put("fetched", o.details().tried());
        r.put("summary", o.summary());
        return r;
    }
}
