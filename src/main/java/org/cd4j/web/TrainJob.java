package org.cd4j.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.cd4j.concept.Checkpoints;
import org.cd4j.concept.TrainConfig;
import org.cd4j.concept.TrainListener;
import org.cd4j.concept.Trainer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Custom Diffusion training run ({@link Trainer}) as a job. Its output folder is
 * {@code jobs/<id>/output} (delta, config.json, metrics.jsonl, validation/, checkpoints/); the
 * finished delta is also copied into the delta library under the job's name.
 *
 * <p>Restarts: a job started before (server stopped or killed mid-run, or resumed after a
 * cancel) continues from {@link Checkpoints#latest} — the trainer's resume is exact, so the delta
 * equals an uninterrupted run's. Without a checkpoint it starts afresh. A cancel or an orderly
 * shutdown asks the trainer to write a checkpoint and return after the current step.
 */
public final class TrainJob implements JobKind {
    static final String OUTPUT = "output";
    private static final Pattern CLASS_PROGRESS = Pattern.compile("class images: (\\d+)/(\\d+)");

    @Override
    public String type() {
        return "train";
    }

    @Override
    public boolean resumable() {
        return true;
    }

    @Override
    public ObjectNode prepare(JsonNode request, Services services) {
        try {
            return TrainSpec.prepare(request, services);
        } catch (IOException e) {
            throw ApiException.bad(e.getMessage());
        }
    }

    @Override
    public String title(ObjectNode params) {
        return params.path("name").asText("training");
    }

    @Override
    public JsonNode run(JobContext ctx) throws Exception {
        Services s = ctx.services();
        ObjectNode p = ctx.params();
        ModelRegistry.Model model = s.models().get(p.get("model").asText());
        Path out = ctx.dir().resolve(OUTPUT);
        Path concepts = ctx.dir().resolve("concepts.json");
        Json.write(concepts, TrainSpec.conceptsList(p, s.datasets()));
        TrainConfig cfg = TrainSpec.config(p, out, concepts, model);
        Path resume = resumePoint(ctx, out, cfg);
        Trainer trainer = new Trainer(cfg, new Listener(ctx));
        ctx.onStop(trainer::requestStop);
        ctx.progress(pr -> pr.put("phase", "preparing"));
        Trainer.Result r;
        try {
            r = trainer.run(resume);
        } catch (StopBeforeTraining e) {
            throw new JobContext.Stopped();
        }
        if (r.stoppedEarly()) throw new JobContext.Stopped();
        ObjectNode origin = Json.object();
        origin.put("origin", "training");
        origin.put("job", ctx.job().id());
        // the prompts it was trained with are the best start for generating with it
        origin.put("prompt", p.get("concepts").get(0).get("instancePrompt").asText());
        ObjectNode delta = s.deltas().addFile(p.path("name").asText("concept"), r.delta(), origin);
        ctx.log("saved delta '" + delta.get("name").asText() + "' to the library");
        ObjectNode res = Json.object();
        res.put("delta", delta.get("name").asText());
        res.put("steps", r.steps());
        res.put("skippedSteps", r.skippedSteps());
        return res;
    }

    /** Where to continue a run that was started before, or null to start afresh (clearing partial outputs). */
    private static Path resumePoint(JobContext ctx, Path out, TrainConfig cfg) throws IOException {
        if (!Files.exists(out)) return null;
        Path latest = Checkpoints.latest(out);
        if (latest != null) {
            ctx.log("continuing from " + latest.getFileName());
            return latest;
        }
        for (String f : List.of("metrics.jsonl", Trainer.DELTA, "config.json", Trainer.SUMMARY)) Files.deleteIfExists(out.resolve(f));
        Workdir.deleteTree(out.resolve("validation"));
        return null;
    }

    /** Trainer events → job log, progress and pictures. */
    private static final class Listener implements TrainListener {
        private final JobContext ctx;
        private volatile boolean stepped;

        Listener(JobContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public void log(String message) {
            ctx.log(message.replace(ctx.dir().toString(), "job"));
            Matcher m = CLASS_PROGRESS.matcher(message);
            if (m.find()) ctx.step("class images", Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), null);
            // Before the first step nothing needs saving, so a cancel can end the preparation
            // (e.g. generating class pictures) at once instead of after it.
            if (!stepped && ctx.stopRequested()) throw new StopBeforeTraining();
        }

        @Override
        public void step(int step, int total, double loss, double lr, double seconds, boolean skipped) {
            stepped = true;
            ctx.step("training", step, total, p -> {
                if (Double.isFinite(loss)) p.put("loss", loss);
                p.put("lr", lr);
                p.put("skipped", skipped);
            });
        }

        @Override
        public void validationImage(int step, Path image) {
            String url = "/api/jobs/" + ctx.job().id() + "/validation/" + image.getFileName();
            ObjectNode info = Json.object();
            info.put("step", step);
            ctx.image("validation", url, info);
        }

        @Override
        public void checkpoint(int step, Path dir) {
            ctx.log("checkpoint at step " + step);
            ctx.progress(p -> p.put("checkpoint", step));
        }
    }

    /** Unwinds the trainer during its preparation when the job is cancelled. */
    static final class StopBeforeTraining extends RuntimeException {
        StopBeforeTraining() {
            super("stopped before training", null, false, false);
        }
    }
}
