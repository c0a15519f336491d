package org.cd4j.hub;

import org.cd4j.pipeline.Fixtures;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Downloads from the local fake hub into the hub cache: the exact huggingface_hub layout, only
 * the pipeline's files, no request once cached, offline use, resumption after a dropped or
 * stalled connection and after a killed run, and verification of every file.
 */
class HubDownloaderTest {
    static final String UNET = "unet/diffusion_pytorch_model.safetensors";
    static final RepoId REPO = new RepoId("org", "tiny");
    /** Files a real Stable Diffusion repository holds beside the pipeline, which must not be fetched. */
    static final Map<String, byte[]> EXTRA = Map.of(
            "v1-5-pruned-emaonly.safetensors", bytes(3000),
            "safety_checker/model.safetensors", bytes(2000),
            "feature_extractor/preprocessor_config.json", "{}".getBytes(StandardCharsets.UTF_8),
            "unet/diffusion_pytorch_model.bin", bytes(1500),
            "unet/diffusion_pytorch_model.fp16.safetensors", bytes(1000),
            "README.md", "# tiny".getBytes(StandardCharsets.UTF_8));

    @TempDir
    Path tmp;
    FakeHub hub;
    String commit;

    @BeforeEach
    void start() throws IOException {
        hub = FakeHub.start();
        commit = hub.addRepo("org/tiny", Fixtures.tinySd1(), EXTRA);
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    static byte[] bytes(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (i * 31 + 7);
        return b;
    }

    /** Generous timeouts: tests share a loaded machine (the stall test sets its own). */
    HubSettings settings() {
        return new HubSettings(hub.endpoint(), tmp.resolve("hub"), null, false, Duration.ofSeconds(30), Duration.ZERO);
    }

    static FileSelector pipeline() {
        return files -> StableDiffusionFiles.select(files, null, Set.copyOf(StableDiffusionFiles.PARTS));
    }

    Path download(HubSettings s) throws IOException {
        return new HubDownloader(s).snapshot(REPO, "main", pipeline(), DownloadListener.NONE);
    }

    Path repoDir() {
        return tmp.resolve("hub/models--org--tiny");
    }

    @Test
    void downloadsThePipelineFilesIntoTheHubCacheLayout() throws IOException {
        Path dir = download(settings());

        assertThat(dir).isEqualTo(repoDir().resolve("snapshots").resolve(commit));
        assertThat(Files.readString(repoDir().resolve("refs/main"))).isEqualTo(commit); // no newline, as huggingface_hub
        List<String> expected = StableDiffusionFiles.select(List.copyOf(hub.files("org/tiny").keySet()), null,
                Set.copyOf(StableDiffusionFiles.PARTS));
        assertThat(new HubCache(tmp.resolve("hub")).snapshotFiles(REPO, commit)).containsExactlyInAnyOrderElementsOf(expected);
        for (String f : expected) {
            Path pointer = dir.resolve(f);
            byte[] content = hub.files("org/tiny").get(f);
            String etag = FakeHub.etagOf(f, content);
            // snapshots/<commit>/<path> -> ../../blobs/<etag>, one more ".." per folder level of the path
            String up = "../".repeat(2 + f.split("/").length - 1);
            assertThat(Files.isSymbolicLink(pointer)).as(f).isTrue();
            assertThat(Files.readSymbolicLink(pointer).toString()).isEqualTo(up + "blobs/" + etag);
            assertThat(Files.readAllBytes(repoDir().resolve("blobs").resolve(etag))).isEqualTo(content);
        }
        try (Stream<Path> s = Files.list(repoDir().resolve("blobs"))) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".incomplete")).hasSize(expected.size());
        }
        assertThat(tmp.resolve("hub/CACHEDIR.TAG")).content().startsWith("Signature: 8a477f597d28d172789f06886806bc55\n");
        assertThat(tmp.resolve("hub/.locks/models--org--tiny").resolve(FakeHub.sha256(hub.files("org/tiny").get(UNET)) + ".lock")).exists();
        // Not one byte of the files the pipeline does not load.
        for (String f : EXTRA.keySet()) assertThat(hub.requestsFor(f)).as(f).isEmpty();
    }

    /**
     * A cache filled by Python ({@code snapshot_download}, which fetches every file of the
     * repository), written here by hand in huggingface_hub's layout rather than by cd4j: used as it
     * is, online and offline, without one request.
     */
    @Test
    void aCacheFilledByHuggingfaceHubIsUsedWithoutARequest() throws IOException {
        Path repo = repoDir();
        for (Map.Entry<String, byte[]> f : hub.files("org/tiny").entrySet()) {
            Path blob = repo.resolve("blobs").resolve(FakeHub.etagOf(f.getKey(), f.getValue()));
            Files.createDirectories(blob.getParent());
            Files.write(blob, f.getValue());
            Path pointer = repo.resolve("snapshots").resolve(commit).resolve(f.getKey());
            Files.createDirectories(pointer.getParent());
            Files.createSymbolicLink(pointer, pointer.getParent().relativize(blob)); // os.path.relpath, as huggingface_hub links
        }
        Files.createDirectories(repo.resolve("refs"));
        Files.writeString(repo.resolve("refs/main"), commit);

        assertThat(download(settings())).isEqualTo(repo.resolve("snapshots").resolve(commit));
        assertThat(download(settings().withOffline(true))).isEqualTo(repo.resolve("snapshots").resolve(commit));
        assertThat(hub.requests()).isEmpty();
    }

    @Test
    void aBlobBeingDownloadedElsewhereIsWaitedForAndNotFetchedAgain() throws Exception {
        byte[] content = hub.files("org/tiny").get(UNET);
        String sha = FakeHub.sha256(content);
        HubCache cache = new HubCache(tmp.resolve("hub"));
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            java.util.concurrent.Future<Path> run;
            try (java.io.Closeable other = cache.lock(REPO, sha)) { // another download of the UNet is under way
                run = pool.submit(() -> download(settings()));
                long deadline = System.nanoTime() + 120_000_000_000L;
                while (hub.requestsFor(UNET).isEmpty() && System.nanoTime() < deadline) Thread.sleep(20);
                assertThat(hub.requestsFor(UNET)).extracting(FakeHub.Request::method).containsExactly("HEAD");
                Thread.sleep(300);
                assertThat(hub.requestsFor(UNET)).hasSize(1); // waiting for the lock, not downloading
                Files.write(cache.blob(REPO, sha), content); // the other download finishes
            }
            assertThat(Files.readAllBytes(run.get().resolve(UNET))).isEqualTo(content);
            assertThat(hub.requestsFor(UNET)).extracting(FakeHub.Request::server).containsExactly("hub"); // never fetched
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aCachedRevisionNeedsNoRequestAndWorksOffline() throws IOException {
        Path first = download(settings());
        hub.clearRequests();

        assertThat(download(settings())).isEqualTo(first);
        assertThat(download(settings().withOffline(true))).isEqualTo(first);
        assertThat(hub.requests()).isEmpty();
    }

    /** What ModelSource asks for with --variant. */
    static FileSelector variant(String v) {
        return new FileSelector() {
            @Override
            public List<String> select(List<String> files) {
                return StableDiffusionFiles.select(files, v, Set.copyOf(StableDiffusionFiles.PARTS));
            }

            @Override
            public boolean settledByCache(List<String> selection) {
                return StableDiffusionFiles.allOfVariant(selection, v);
            }
        };
    }

    /** The plain weights in the cache do not stand in for a variant the repository has, except offline. */
    @Test
    void aVariantIsFetchedThoughThePlainWeightsAreCached() throws IOException {
        download(settings());
        hub.clearRequests();
        String fp16 = "unet/diffusion_pytorch_model.fp16.safetensors";
        List<String> notes = new java.util.ArrayList<>();
        DownloadListener noting = new DownloadListener() {
            @Override
            public void note(String message) {
                notes.add(message);
            }
        };
        Path offline = new HubDownloader(settings().withOffline(true)).snapshot(REPO, "main", variant("fp16"), noting);
        assertThat(offline.resolve(fp16)).doesNotExist();
        assertThat(notes).singleElement().asString().contains("HF_HUB_OFFLINE is set").contains(UNET);
        assertThat(hub.requests()).isEmpty();

        Path dir = new HubDownloader(settings()).snapshot(REPO, "main", variant("fp16"), DownloadListener.NONE);
        assertThat(Files.readAllBytes(dir.resolve(fp16))).isEqualTo(EXTRA.get(fp16));
        assertThat(hub.requestsFor(fp16)).extracting(FakeHub.Request::server).containsExactly("hub", "cdn");
        assertThat(hub.requestsFor(UNET)).isEmpty();
    }

    @Test
    void offlineWithoutTheFilesSaysWhatIsMissing() throws IOException {
        assertThatThrownBy(() -> download(settings().withOffline(true)))
                .isInstanceOfSatisfying(HubException.class, e -> assertThat(e.kind()).isEqualTo(HubException.Kind.NOT_CACHED))
                .hasMessageContaining("HF_HUB_OFFLINE").hasMessageContaining("org/tiny").hasMessageContaining("not in the hub cache");
        // Half a cache (the tokenizer only) is named as such.
        new HubDownloader(settings()).snapshot(REPO, "main",
                files -> StableDiffusionFiles.select(files, null, Set.of("tokenizer")), DownloadListener.NONE);
        assertThatThrownBy(() -> download(settings().withOffline(true)))
                .hasMessageContaining("holds only part of it").hasMessageContaining("unet/config.json");
        assertThat(hub.requestsFor(UNET)).isEmpty();
    }

    @Test
    void aDroppedConnectionIsResumedWithARangeRequest() throws IOException {
        int size = hub.files("org/tiny").get(UNET).length;
        hub.dropAfter(UNET, size / 2, 1);

        Path dir = download(settings());

        assertThat(Files.readAllBytes(dir.resolve(UNET))).isEqualTo(hub.files("org/tiny").get(UNET));
        List<FakeHub.Request> gets = hub.requestsFor(UNET).stream().filter(r -> r.server().equals("cdn")).toList();
        assertThat(gets).hasSize(2);
        assertThat(gets.get(0).range()).isNull();
        // The rest is asked for from what arrived (the end of what the server sent may be lost with the connection).
        assertThat(gets.get(1).range()).matches("bytes=\\d+-");
        long resumedAt = Long.parseLong(gets.get(1).range().replaceAll("\\D", ""));
        assertThat(resumedAt).isBetween(1L, (long) size / 2);
    }

    @Test
    void aKilledDownloadResumesFromItsIncompleteFile() throws IOException {
        byte[] content = hub.files("org/tiny").get(UNET);
        Path part = repoDir().resolve("blobs").resolve(FakeHub.sha256(content) + ".incomplete");
        Files.createDirectories(part.getParent());
        Files.write(part, Arrays.copyOf(content, 1_000_000)); // what a killed run leaves behind

        download(settings());

        assertThat(hub.requestsFor(UNET).stream().filter(r -> r.server().equals("cdn")))
                .extracting(FakeHub.Request::range).containsExactly("bytes=1000000-");
        assertThat(Files.readAllBytes(repoDir().resolve("snapshots").resolve(commit).resolve(UNET))).isEqualTo(content);
        assertThat(part).doesNotExist();
    }

    @Test
    void aDownloadThatKeepsBreakingOffStopsAndResumesInTheNextRun() throws IOException {
        hub.dropAfter(UNET, 4096, 100);
        Path part = repoDir().resolve("blobs").resolve(FakeHub.sha256(hub.files("org/tiny").get(UNET)) + ".incomplete");

        assertThatThrownBy(() -> download(settings()))
                .isInstanceOfSatisfying(HubException.class, e -> assertThat(e.kind()).isEqualTo(HubException.Kind.TRUNCATED))
                .hasMessageContaining(UNET).hasMessageContaining("broke off at 4096").hasMessageContaining("run the command again");
        assertThat(part).hasSize(4096);
        assertThat(repoDir().resolve("snapshots").resolve(commit).resolve(UNET)).doesNotExist();

        hub.dropAfter(UNET, 0, 0); // the network is back
        hub.clearRequests();
        Path dir = download(settings());
        assertThat(Files.readAllBytes(dir.resolve(UNET))).isEqualTo(hub.files("org/tiny").get(UNET));
        assertThat(hub.requestsFor(UNET).stream().filter(r -> r.server().equals("cdn")))
                .extracting(FakeHub.Request::range).containsExactly("bytes=4096-");
    }

    @Test
    void aStalledDownloadIsCutAfterTheTimeoutAndResumed() throws IOException {
        hub.stallAfter(UNET, 100_000, 1);
        HubSettings s = settings().withTiming(Duration.ofMillis(1500), Duration.ZERO);

        Path dir = download(s);

        assertThat(Files.readAllBytes(dir.resolve(UNET))).isEqualTo(hub.files("org/tiny").get(UNET));
        assertThat(hub.requestsFor(UNET).stream().filter(r -> r.server().equals("cdn")))
                .extracting(FakeHub.Request::range).containsExactly(null, "bytes=100000-");
    }

    @Test
    void aCorruptDownloadIsDeletedAndNamed() throws IOException {
        hub.corrupt(UNET, 1);
        String sha = FakeHub.sha256(hub.files("org/tiny").get(UNET));

        assertThatThrownBy(() -> download(settings()))
                .isInstanceOfSatisfying(HubException.class, e -> assertThat(e.kind()).isEqualTo(HubException.Kind.HASH_MISMATCH))
                .hasMessageContaining(UNET).hasMessageContaining("sha256").hasMessageContaining(sha).hasMessageContaining("deleted");
        assertThat(repoDir().resolve("blobs").resolve(sha)).doesNotExist();
        assertThat(repoDir().resolve("blobs").resolve(sha + ".incomplete")).doesNotExist();
        assertThat(repoDir().resolve("snapshots").resolve(commit).resolve(UNET)).doesNotExist();

        assertThat(Files.readAllBytes(download(settings()).resolve(UNET))).isEqualTo(hub.files("org/tiny").get(UNET));
    }

    @Test
    void aSmallFileIsCheckedAgainstItsGitBlobId() throws IOException {
        hub.corrupt("unet/config.json", 1);

        assertThatThrownBy(() -> download(settings()))
                .isInstanceOfSatisfying(HubException.class, e -> assertThat(e.kind()).isEqualTo(HubException.Kind.HASH_MISMATCH))
                .hasMessageContaining("unet/config.json").hasMessageContaining("git sha1");
    }

    @Test
    void anExistingBlobIsLinkedNotDownloaded() throws IOException {
        // Another repository (or revision) with the same UNet: its blob is reused by content id.
        hub.addRepo("org/tiny-copy", Fixtures.tinySd1(), Map.of());
        new HubDownloader(settings()).snapshot(REPO, "main", pipeline(), DownloadListener.NONE);
        Path other = tmp.resolve("hub");
        // Same content, same etag: copy the blob into the other repository's blobs/ as a cache-aware tool would find it.
        RepoId copy = new RepoId("org", "tiny-copy");
        String sha = FakeHub.sha256(hub.files("org/tiny").get(UNET));
        Files.createDirectories(other.resolve(copy.cacheFolderName()).resolve("blobs"));
        Files.copy(repoDir().resolve("blobs").resolve(sha), other.resolve(copy.cacheFolderName()).resolve("blobs").resolve(sha));
        hub.clearRequests();

        new HubDownloader(settings()).snapshot(copy, "main", pipeline(), DownloadListener.NONE);

        assertThat(hub.requestsFor(UNET)).extracting(FakeHub.Request::server).containsExactly("hub"); // the HEAD only
    }

    @Test
    void aCommitHashRevisionIsUsedAsItIsAndWritesNoRef() throws IOException {
        Path dir = new HubDownloader(settings()).snapshot(REPO, commit, pipeline(), DownloadListener.NONE);
        assertThat(dir.getFileName().toString()).isEqualTo(commit);
        assertThat(repoDir().resolve("refs")).doesNotExist();
        hub.clearRequests();
        new HubDownloader(settings().withOffline(true)).snapshot(REPO, commit, pipeline(), DownloadListener.NONE);
        assertThat(hub.requests()).isEmpty();
    }

    @Test
    void anUnknownRevisionIsNamed() {
        assertThatThrownBy(() -> new HubDownloader(settings()).snapshot(REPO, "v9", pipeline(), DownloadListener.NONE))
                .isInstanceOfSatisfying(HubException.class, e -> assertThat(e.kind()).isEqualTo(HubException.Kind.REVISION_NOT_FOUND))
                .hasMessageContaining("org/tiny has no revision 'v9'");
    }

    @Test
    void anUnknownRepositoryMentionsTheToken() {
        RepoId missing = new RepoId("org", "missing");
        assertThatThrownBy(() -> new HubDownloader(settings()).snapshot(missing, "main", pipeline(), DownloadListener.NONE))
                .isInstanceOfSatisfying(HubException.class, e -> assertThat(e.kind()).isEqualTo(HubException.Kind.REPO_NOT_FOUND))
                .hasMessageContaining("has no repository org/missing").hasMessageContaining("HTTP 401")
                .hasMessageContaining("set HF_TOKEN");
    }

    @Test
    void aPrivateRepositoryNeedsTheTokenWhichNeverGoesToTheCdn() throws IOException {
        hub.addRepo("org/private", Fixtures.tinySd1(), Map.of(), "hf_secret", false);
        RepoId priv = new RepoId("org", "private");
        assertThatThrownBy(() -> new HubDownloader(settings()).snapshot(priv, "main", pipeline(), DownloadListener.NONE))
                .hasMessageContaining("has no repository org/private").hasMessageContaining("set HF_TOKEN");
        HubSettings wrong = new HubSettings(hub.endpoint(), tmp.resolve("hub"), "hf_wrong", false, Duration.ofSeconds(30), Duration.ZERO);
        assertThatThrownBy(() -> new HubDownloader(wrong).snapshot(priv, "main", pipeline(), DownloadListener.NONE))
                .hasMessageContaining("HTTP 404").hasMessageContaining("the token in HF_TOKEN cannot read it");
        hub.clearRequests();

        HubSettings token = new HubSettings(hub.endpoint(), tmp.resolve("hub"), "hf_secret", false, Duration.ofSeconds(30), Duration.ZERO);
        Path dir = new HubDownloader(token).snapshot(priv, "main", pipeline(), DownloadListener.NONE);

        assertThat(dir.resolve(UNET)).exists();
        assertThat(hub.requests()).filteredOn(r -> r.server().equals("hub")).extracting(FakeHub.Request::authorization)
                .containsOnly("Bearer hf_secret");
        assertThat(hub.requests()).filteredOn(r -> r.server().equals("cdn")).isNotEmpty()
                .extracting(FakeHub.Request::authorization).containsOnlyNulls();
    }

    @Test
    void aGatedRepositorySaysWhereToAcceptItsConditions() throws IOException {
        hub.addRepo("org/gated", Fixtures.tinySd1(), Map.of(), null, true);
        assertThatThrownBy(() -> new HubDownloader(settings()).snapshot(new RepoId("org", "gated"), "main", pipeline(), DownloadListener.NONE))
                .isInstanceOfSatisfying(HubException.class, e -> assertThat(e.kind()).isEqualTo(HubException.Kind.GATED))
                .hasMessageContaining(hub.endpoint() + "/org/gated").hasMessageContaining("HF_TOKEN");
    }

    @Test
    void aServerErrorSaysToTryLater() {
        hub.failWith(500);
        assertThatThrownBy(() -> download(settings()))
                .isInstanceOfSatisfying(HubException.class, e -> assertThat(e.kind()).isEqualTo(HubException.Kind.SERVER))
                .hasMessageContaining("HTTP 500").hasMessageContaining("try again later");
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"403, UNAUTHORIZED, forbids access to org/tiny (HTTP 403", "429, SERVER, too many requests",
            "502, SERVER, (HTTP 502); try again later"})
    void otherRefusalsSayWhatToDo(int status, HubException.Kind kind, String message) {
        hub.failWith(status);
        assertThatThrownBy(() -> download(settings()))
                .isInstanceOfSatisfying(HubException.class, e -> assertThat(e.kind()).isEqualTo(kind))
                .hasMessageContaining(message);
    }

    @Test
    void aListedFileTheHubDoesNotServeIsNamed() {
        hub.hide(UNET);
        assertThatThrownBy(() -> download(settings()))
                .isInstanceOfSatisfying(HubException.class, e -> assertThat(e.kind()).isEqualTo(HubException.Kind.FILE_NOT_FOUND))
                .hasMessageContaining("org/tiny has no file " + UNET).hasMessageContaining("(HTTP 404)");
        assertThat(repoDir().resolve("snapshots").resolve(commit).resolve(UNET)).doesNotExist();
    }

    @Test
    void aTokenTheHubRefusesIsNamed() throws IOException {
        hub.rejectToken("hf_revoked");
        HubSettings revoked = new HubSettings(hub.endpoint(), tmp.resolve("hub"), "hf_revoked", false, Duration.ofSeconds(30), Duration.ZERO);
        assertThatThrownBy(() -> new HubDownloader(revoked).snapshot(REPO, "main", pipeline(), DownloadListener.NONE))
                .isInstanceOfSatisfying(HubException.class, e -> assertThat(e.kind()).isEqualTo(HubException.Kind.UNAUTHORIZED))
                .hasMessageContaining("the hub refused the token in HF_TOKEN (HTTP 401: Invalid credentials")
                .hasMessageContaining("set HF_TOKEN to a valid access token").message().doesNotContain("hf_revoked");
    }

    @Test
    void noNetworkNamesTheEndpointAndOfflineMode() throws IOException {
        java.net.URI closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = java.net.URI.create("http://127.0.0.1:" + s.getLocalPort());
        }
        HubSettings s = new HubSettings(closed, tmp.resolve("hub"), null, false, Duration.ofSeconds(2), Duration.ZERO);
        assertThatThrownBy(() -> new HubDownloader(s).snapshot(REPO, "main", pipeline(), DownloadListener.NONE))
                .isInstanceOfSatisfying(HubException.class, e -> assertThat(e.kind()).isEqualTo(HubException.Kind.NETWORK))
                .hasMessageContaining("cannot reach the hub at " + closed).hasMessageContaining("HF_HUB_OFFLINE=1");
    }

    @Test
    void aRepositoryWithoutThePipelineIsRefusedBeforeAnyDownload() throws IOException {
        hub.addRepo("org/other", null, Map.of("model_index.json", "{}".getBytes(StandardCharsets.UTF_8), "model.safetensors", bytes(10)));
        hub.clearRequests();
        assertThatThrownBy(() -> new HubDownloader(settings()).snapshot(new RepoId("org", "other"), "main", pipeline(), DownloadListener.NONE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unet/config.json");
        assertThat(hub.requests()).extracting(FakeHub.Request::path).allMatch(p -> p.startsWith("/api/"));
    }
}
