package org.cd4j.cli;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.cd4j.hub.FakeHub;
import org.cd4j.io.Png;
import org.cd4j.io.SafetensorsFile;
import org.cd4j.io.SafetensorsWriter;
import org.cd4j.nn.Tensors;
import org.cd4j.pipeline.Fixtures;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code --model org/name} through the real command line against the local fake hub: one
 * download into the hub cache, the same image as from the folder, no request afterwards, offline
 * use, the fp16 variant, and the errors a user meets (unknown repository, server failure, bad
 * value, corrupt download).
 */
class HubModelTest {
    static final String UNET = "unet/diffusion_pytorch_model.safetensors";

    @TempDir
    Path tmp;
    FakeHub hub;
    String commit;

    @BeforeEach
    void start() throws IOException {
        hub = FakeHub.start();
        commit = hub.addRepo("org/tiny", Fixtures.tinySd1(), Map.of("v1-5-pruned.ckpt", new byte[4096]));
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    Map<String, String> env(String... more) {
        Map<String, String> env = new HashMap<>();
        env.put("HOME", tmp.toString());
        env.put("HF_HOME", tmp.resolve("hf").toString());
        env.put("HF_ENDPOINT", hub.endpoint().toString());
        for (int i = 0; i < more.length; i += 2) env.put(more[i], more[i + 1]);
        return env;
    }

    /** The fixtures' "tiny-sd1-ddim-s7" case (refs/tiny-sd1/seeded), whose decoded images diffusers made. */
    CliRun generate(Map<String, String> env, String model, String name, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("generate", "--model", model, "--prompt", "a red wooden pot on a table",
                "--seed", "7", "--steps", "4", "--guidance", "5.0", "--scheduler", "ddim", "--height", "128", "--width", "128",
                "--output", tmp.resolve(name + ".png").toString(), "--save-tensor", tmp.resolve(name + ".safetensors").toString()));
        args.addAll(List.of(more));
        return CliRun.with(env, args.toArray(new String[0]));
    }

    /** Max |difference| of two runs' decoded images ("diffusers": the reference's). */
    double maxDiff(String a, String b) throws IOException {
        Path pb = b.equals("diffusers") ? Fixtures.path("refs/tiny-sd1/seeded/tiny-sd1-ddim-s7.safetensors") : tmp.resolve(b + ".safetensors");
        try (SafetensorsFile x = SafetensorsFile.open(tmp.resolve(a + ".safetensors")); SafetensorsFile y = SafetensorsFile.open(pb)) {
            return Tensors.maxAbsDiff(x.tensor("images"), y.tensor("images"));
        }
    }

    @Test
    void generateDownloadsOnceThenRunsFromTheCacheAndOffline() throws IOException {
        CliRun first = generate(env(), "org/tiny", "hub");
        assertThat(first.code()).as(first.err()).isZero();
        assertThat(first.err()).contains("downloaded " + UNET + " (4.5 MB)");
        assertThat(maxDiff("hub", "diffusers")).isLessThanOrEqualTo(1e-3); // the image diffusers makes from the same model
        assertThat(Png.readText(tmp.resolve("hub.png"))).containsEntry("model", "org/tiny@" + commit);
        assertThat(Files.readString(tmp.resolve("hf/hub/models--org--tiny/refs/main"))).isEqualTo(commit);
        assertThat(hub.requestsFor("v1-5-pruned.ckpt")).isEmpty();

        hub.clearRequests();
        CliRun again = generate(env(), "org/tiny", "again");
        CliRun offline = generate(env("HF_HUB_OFFLINE", "1"), "org/tiny", "offline");
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(offline.code()).as(offline.err()).isZero();
        assertThat(again.err()).doesNotContain("downloaded");
        assertThat(hub.requests()).isEmpty();
        assertThat(maxDiff("again", "hub")).isZero();
        assertThat(maxDiff("offline", "hub")).isZero();
    }

    /**
     * The acceptance case: a {@code cd4j generate} process killed (SIGKILL) in the middle of the
     * UNet's download leaves its part in the cache, and the next run asks only for the rest.
     */
    @Test
    void aKilledGenerateResumesItsDownloadInTheNextRun() throws Exception {
        byte[] unet = hub.files("org/tiny").get(UNET);
        long cut = 1_000_000;
        hub.stallAfter(UNET, cut, 1); // the CDN sends the first megabyte, then nothing: the process is killed meanwhile
        Path part = tmp.resolve("hf/hub/models--org--tiny/blobs").resolve(FakeHub.sha256(unet) + ".incomplete");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // user.home as here: the child finds JavaCPP's unpacked natives where this JVM does
        ProcessBuilder pb = new ProcessBuilder(java, "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0", "-Duser.home=" + System.getProperty("user.home"),
                "-cp", System.getProperty("java.class.path"),
                "org.cd4j.cli.Main", "generate", "--model", "org/tiny", "--prompt", "x", "--steps", "1", "--height", "128",
                "--width", "128", "--output", tmp.resolve("killed.png").toString())
                .redirectErrorStream(true).redirectOutput(tmp.resolve("killed.log").toFile());
        pb.environment().clear(); // only the test's hub settings, as the in-process runs see them
        pb.environment().putAll(env("HF_HUB_DOWNLOAD_TIMEOUT", "600", "CD4J_THREADS", "1"));
        Process p = pb.start();
        try {
            long deadline = System.nanoTime() + 180_000_000_000L;
            while ((!Files.exists(part) || Files.size(part) < cut) && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(50);
            assertThat(p.isAlive()).as(Files.readString(tmp.resolve("killed.log"))).isTrue();
        } finally {
            p.destroyForcibly();
            p.waitFor();
        }
        assertThat(part).as("what arrived before the kill").hasSize(cut);
        assertThat(tmp.resolve("killed.png")).doesNotExist();
        hub.clearRequests();

        CliRun again = generate(env(), "org/tiny", "resumed");

        assertThat(again.code()).as(again.err()).isZero();
        assertThat(again.err()).contains("downloading " + UNET + " (4.5 MB), resuming at 1.0 MB");
        assertThat(hub.requestsFor(UNET).stream().filter(r -> r.server().equals("cdn")))
                .extracting(FakeHub.Request::range).containsExactly("bytes=" + cut + "-");
        assertThat(hub.requests()).as("the files the killed run finished are not fetched again")
                .allMatch(r -> r.path().startsWith("/api/") || r.path().contains(UNET) || r.path().contains(UNET.replace('/', '_')));
        assertThat(maxDiff("resumed", "diffusers")).isLessThanOrEqualTo(1e-3);
    }

    @Test
    void theFp16VariantDownloadsOnlyTheHalfPrecisionWeights() throws IOException {
        Map<String, byte[]> fp16 = new LinkedHashMap<>();
        for (String f : List.of(UNET, "vae/diffusion_pytorch_model.safetensors", "text_encoder/model.safetensors")) {
            fp16.put(f.replace(".safetensors", ".fp16.safetensors"), halfPrecision(Fixtures.tinySd1().resolve(f)));
        }
        hub.addRepo("org/tiny16", Fixtures.tinySd1(), fp16);

        CliRun r = generate(env(), "org/tiny16", "half", "--variant", "fp16");
        assertThat(r.code()).as(r.err()).isZero();

        for (String f : fp16.keySet()) assertThat(hub.requestsFor(f)).as(f).isNotEmpty();
        assertThat(hub.requestsFor(UNET)).isEmpty();
        Path snapshot = tmp.resolve("hf/hub/models--org--tiny16/snapshots").resolve(hub.commit("org/tiny16"));
        assertThat(snapshot.resolve("unet/diffusion_pytorch_model.fp16.safetensors")).exists();
        assertThat(snapshot.resolve(UNET)).doesNotExist();
        // The same model with its weights rounded to float16 (the snapshot holds no others): near diffusers' float32
        // image (measured 1.8e-3; fp32 weights give <= 1e-3).
        assertThat(maxDiff("half", "diffusers")).isLessThan(0.01);
    }

    /** A safetensors file with every float tensor rounded to float16, as a repository's fp16 variant holds it. */
    Path halfPrecisionFile(Path src, Path dst) throws IOException {
        Map<String, Tensor> half = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(src)) {
            for (String k : f.keys()) half.put(k, f.tensor(k).to(torch.ScalarType.Half).contiguous());
            SafetensorsWriter.write(dst, half, Map.of("format", "pt"));
        }
        return dst;
    }

    byte[] halfPrecision(Path src) throws IOException {
        Path dst = tmp.resolve("half-" + src.getParent().getFileName() + ".safetensors");
        return Files.readAllBytes(halfPrecisionFile(src, dst));
    }

    @Test
    void anUnknownRepositoryIsAUsageErrorThatMentionsTheToken() {
        CliRun r = generate(env(), "org/missing", "x");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--model org/missing is not a local folder").contains("has no repository org/missing")
                .contains("HF_TOKEN").doesNotContain("at org.cd4j");
    }

    @Test
    void neitherAFolderNorAHubIdIsAUsageError() {
        CliRun r = generate(env(), "no such model", "x");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--model 'no such model' is neither an existing folder nor a hub id");
        CliRun flag = generate(env(), Fixtures.tinySd1().toString(), "x", "--revision", "v1");
        assertThat(flag.code()).isEqualTo(2);
        assertThat(flag.err()).contains("--revision does not apply").contains("is a folder");
        CliRun noModel = CliRun.with(env(), "generate", "--prompt", "x", "--variant", "fp16", "--output", tmp.resolve("y.png").toString());
        assertThat(noModel.code()).isEqualTo(2);
        assertThat(noModel.err()).contains("--variant needs a hub id as --model");
        assertThat(hub.requests()).isEmpty();
    }

    @Test
    void serverErrorsAndCorruptDownloadsAreFailures() {
        hub.failWith(500);
        CliRun down = generate(env(), "org/tiny", "x");
        assertThat(down.code()).isEqualTo(1);
        assertThat(down.err()).contains("HTTP 500").contains("try again later");
        hub.failWith(0);

        hub.corrupt(UNET, 1);
        CliRun bad = generate(env(), "org/tiny", "x");
        assertThat(bad.code()).isEqualTo(1);
        assertThat(bad.err()).contains("the download of " + UNET + " is corrupt").contains("run the command again");
        assertThat(tmp.resolve("x.png")).doesNotExist();

        CliRun offline = generate(env("HF_HUB_OFFLINE", "1"), "org/other", "x");
        assertThat(offline.code()).isEqualTo(1);
        assertThat(offline.err()).contains("HF_HUB_OFFLINE is set").contains("org/other");
    }

    @Test
    void tokenizeDownloadsOnlyTheTokenizer() {
        CliRun hubRun = CliRun.with(env(), "tokenize", "--model", "org/tiny", "--prompt", "a photo of a cat");
        CliRun local = CliRun.of("tokenize", "--model", Fixtures.tinySd1().toString(), "--prompt", "a photo of a cat");
        assertThat(hubRun.code()).as(hubRun.err()).isZero();
        assertThat(hubRun.out()).isEqualTo(local.out());
        assertThat(hub.requests()).extracting(FakeHub.Request::path)
                .noneMatch(p -> p.contains("safetensors") || p.contains("unet") || p.contains("vae"));
    }

    @Test
    void theTokenAndRevisionComeFromTheEnvironmentAndTheFlags() throws IOException {
        String priv = hub.addRepo("org/private", Fixtures.tinySd1(), Map.of(), "hf_secret", false);
        CliRun without = CliRun.with(env(), "tokenize", "--model", "org/private", "--prompt", "a cat");
        assertThat(without.code()).isEqualTo(2);
        assertThat(without.err()).contains("has no repository org/private").contains("set HF_TOKEN");

        CliRun pinned = CliRun.with(env("HF_TOKEN", "hf_secret"), "tokenize", "--model", "org/private", "--revision", priv,
                "--prompt", "a cat");
        assertThat(pinned.code()).as(pinned.err()).isZero();
        assertThat(hub.requests()).filteredOn(r -> r.server().equals("hub")).extracting(FakeHub.Request::path)
                .anyMatch(p -> p.equals("/api/models/org/private/revision/" + priv));
        assertThat(tmp.resolve("hf/hub/models--org--private/snapshots").resolve(priv).resolve("tokenizer/vocab.json")).exists();
        assertThat(tmp.resolve("hf/hub/models--org--private/refs")).as("a commit needs no ref").doesNotExist();

        // the token `huggingface-cli login` saved in $HF_HOME/token serves as well, for a branch
        Files.writeString(tmp.resolve("hf/token"), "hf_secret\n");
        CliRun login = CliRun.with(env(), "tokenize", "--model", "org/private", "--prompt", "a cat");
        assertThat(login.code()).as(login.err()).isZero();
        assertThat(tmp.resolve("hf/hub/models--org--private/refs/main")).hasContent(priv);
        assertThat(hub.requests()).filteredOn(r -> r.server().equals("hub")).extracting(FakeHub.Request::authorization)
                .containsOnly(null, "Bearer hf_secret");

        CliRun wrongRevision = CliRun.with(env(), "tokenize", "--model", "org/private", "--revision", "v9", "--prompt", "a cat");
        assertThat(wrongRevision.code()).isEqualTo(2);
        assertThat(wrongRevision.err()).contains("org/private has no revision 'v9'").contains("--revision takes a branch, tag or commit");
    }

    /** Every subcommand that takes --model reads it the same way (checked offline: nothing is downloaded). */
    @Test
    void everyCommandResolvesModelTheSameWay() throws IOException {
        Path delta = Files.writeString(tmp.resolve("d.cd4j.safetensors"), "x");
        Path delta2 = Files.writeString(tmp.resolve("e.cd4j.safetensors"), "x");
        Files.createDirectories(tmp.resolve("images"));
        Map<String, List<String>> commands = new LinkedHashMap<>();
        commands.put("train", List.of("train", "--output", tmp.resolve("run").toString(), "--instance-data-dir",
                tmp.resolve("images").toString(), "--instance-prompt", "photo of a <new1> cat", "--modifier-token", "<new1>"));
        commands.put("compress", List.of("compress", "--delta", delta.toString(), "--output", tmp.resolve("c.safetensors").toString()));
        commands.put("merge", List.of("merge", "--delta", delta.toString(), "--delta", delta2.toString(),
                "--output", tmp.resolve("m.safetensors").toString()));
        commands.put("convert", List.of("convert", "--input", delta.toString(), "--to", "adobe", "--output", tmp.resolve("a.bin").toString()));
        commands.put("tokenize", List.of("tokenize", "--prompt", "x"));
        commands.put("serve", List.of("serve", "--port", "0", "--workdir", tmp.resolve("work").toString()));
        for (Map.Entry<String, List<String>> c : commands.entrySet()) {
            List<String> offline = new java.util.ArrayList<>(c.getValue());
            offline.addAll(List.of("--model", "org/tiny"));
            CliRun r = CliRun.with(env("HF_HUB_OFFLINE", "1"), offline.toArray(new String[0]));
            assertThat(r.code()).as(c.getKey() + ": " + r.err()).isEqualTo(1);
            assertThat(r.err()).as(c.getKey()).contains("HF_HUB_OFFLINE is set").contains("org/tiny");

            List<String> bad = new java.util.ArrayList<>(c.getValue());
            bad.addAll(List.of("--model", "not a model"));
            CliRun b = CliRun.with(env(), bad.toArray(new String[0]));
            assertThat(b.code()).as(c.getKey() + ": " + b.err()).isEqualTo(2);
            assertThat(b.err()).as(c.getKey()).contains("--model 'not a model' is neither an existing folder nor a hub id");
        }
        assertThat(hub.requests()).isEmpty();
    }
}
