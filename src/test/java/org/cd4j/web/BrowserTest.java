package org.cd4j.web;

import org.cd4j.concept.retrieve.FakeKnnServer;
import org.cd4j.pipeline.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole story in headless Debian Chromium: upload pictures by the file chooser, train a short
 * concept on tiny-sd1 (4 steps, 64 px, one generated class picture), watch the live progress reach
 * the end with a loss curve and a validation picture, generate with the new delta and see the
 * picture, restart the server on the same workdir and find the job and its delta still there;
 * then retrieve real class pictures from a concept card, from a fake knn service and from the
 * server's collection, following each job's status on the card.
 * Saves a 1280×800 screenshot of every page under {@code target/screenshots/}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BrowserTest {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final Path SHOTS = Path.of("target", "screenshots");

    Path workdir;
    Path profile;
    WebServer server;
    ChromeDriver driver;
    WebDriverWait wait;

    @BeforeAll
    void start() throws IOException {
        if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
            System.out.println("BrowserTest skipped: " + CHROMIUM + " or " + CHROMEDRIVER + " is absent (apt-get install chromium chromium-driver)");
        }
        Assumptions.assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER), "Debian chromium and chromedriver are not installed");
        Files.createDirectories(SHOTS);
        workdir = Files.createTempDirectory("cd4j-browser");
        server = WebServer.start(options());
        profile = Files.createTempDirectory("cd4j-chromium");
        ChromeOptions o = new ChromeOptions();
        o.setBinary(CHROMIUM.toString());
        o.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile,
                "--window-size=1280,800", "--hide-scrollbars");
        ChromeDriverService svc = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        driver = new ChromeDriver(svc, o);
        viewport(1280, 800);
        wait = waiting(Duration.ofSeconds(30));
    }

    @AfterAll
    void stop() throws IOException {
        if (driver != null) driver.quit();
        if (server != null) server.close();
        if (workdir != null) Workdir.deleteTree(workdir);
        if (profile != null) Workdir.deleteTree(profile);
    }

    /** tiny-sd1, and the pot class pictures as a collection to retrieve from. */
    ServeOptions options() {
        return new ServeOptions("127.0.0.1", 0, List.of(Fixtures.tinySd1()), workdir, null,
                List.of(Fixtures.path("custom_diffusion/data/pot/class")));
    }

    /** A wait that tolerates the page re-rendering an element while it is read (live updates do that). */
    WebDriverWait waiting(Duration d) {
        WebDriverWait w = new WebDriverWait(driver, d);
        w.ignoring(StaleElementReferenceException.class);
        return w;
    }

    /** Makes the page area (not the window) exactly w × h, so screenshots are that size. */
    void viewport(int w, int h) {
        driver.manage().window().setSize(new Dimension(w, h));
        JavascriptExecutor js = driver;
        long iw = (Long) js.executeScript("return window.innerWidth"), ih = (Long) js.executeScript("return window.innerHeight");
        driver.manage().window().setSize(new Dimension(w + (int) (w - iw), h + (int) (h - ih)));
    }

    void open(String hash) {
        driver.get("http://127.0.0.1:" + server.port() + "/#" + hash);
        wait.until(d -> d.findElement(By.id("live-text")).getText().equals("live"));
    }

    void shot(String name) throws IOException {
        ((JavascriptExecutor) driver).executeScript("window.scrollTo(0, 0)");
        Files.write(SHOTS.resolve(name + ".png"), driver.getScreenshotAs(OutputType.BYTES));
    }

    WebElement id(String id) {
        return wait.until(ExpectedConditions.presenceOfElementLocated(By.id(id)));
    }

    void type(String id, Object value) {
        WebElement e = id(id);
        e.clear();
        e.sendKeys(String.valueOf(value));
    }

    @Test
    @Order(1) // starts from an empty workdir
    void trainWatchGenerateAndFindItAllAfterARestart() throws Exception {
        open("jobs");
        assertThat(id("job-list").getText()).contains("No jobs yet");
        shot("jobs-empty");
        open("generate");
        assertThat(id("gallery").getText()).contains("No pictures yet");
        shot("generate-empty");
        open("deltas");
        assertThat(id("deltas-table").getText()).contains("No deltas yet");
        shot("deltas-empty");

        open("train");
        id("train-start").click();
        wait.until(d -> d.findElement(By.cssSelector("#concepts .concept > .inline-error")).isDisplayed());
        assertThat(driver.findElement(By.cssSelector("#concepts .concept > .inline-error")).getText()).contains("Upload its pictures first");
        shot("train-error");

        String files = ServerFixture.potImages().subList(0, 4).stream().map(p -> p.toAbsolutePath().toString()).collect(Collectors.joining("\n"));
        id("concept-0-input").sendKeys(files);
        wait.until(d -> d.findElements(By.cssSelector("#concept-0-thumbs img")).size() == 4);
        type("concept-0-word", "wooden pot");
        assertThat(id("concept-0-prompt").getAttribute("value")).isEqualTo("photo of a <new1> wooden pot");
        assertThat(id("concept-0-class").getAttribute("value")).isEqualTo("wooden pot");
        type("train-steps", 4);
        type("train-batchSize", 1);
        type("train-numClassImages", 1);
        type("train-resolution", 64);
        driver.findElement(By.cssSelector("details.advanced summary")).click();
        type("train-priorGenerationSteps", 2);
        type("train-checkpointingSteps", 2);
        type("train-validationSteps", 4);
        type("train-name", "browser pot");
        shot("train");
        id("train-start").click();

        wait.until(d -> d.getCurrentUrl().contains("#jobs/job-"));
        WebDriverWait slow = waiting(Duration.ofMinutes(5));
        slow.until(d -> d.findElement(By.id("job-step")).getText().equals("4 / 4"));
        slow.until(d -> d.findElement(By.id("job-state")).getText().equalsIgnoreCase("done"));
        wait.until(d -> !d.findElements(By.cssSelector("#validation-strip img")).isEmpty());
        assertThat(id("job-result-delta").getText()).isEqualTo("browser-pot");
        assertThat(id("job-log").getText()).contains("class images: 1/1").contains("saved delta 'browser-pot'");
        assertThat(loaded("#validation-strip img")).isTrue();
        shot("jobs");

        id("job-generate").click();
        wait.until(d -> d.findElement(By.id("gen-delta-browser-pot")).isSelected());
        assertThat(id("gen-prompt").getAttribute("value")).isEqualTo("photo of a <new1> wooden pot");
        WebElement prompt = id("gen-prompt");
        String wanted = prompt.getAttribute("value");
        prompt.clear();
        id("gen-start").click();
        wait.until(d -> d.findElement(By.id("gen-error")).getText().contains("prompt is required"));
        prompt.sendKeys(wanted);
        id("gen-random").click();
        type("gen-seed", 5);
        type("gen-steps", 3);
        type("gen-count", 2);
        type("gen-width", 64);
        type("gen-height", 64);
        type("gen-negative", "blurry");
        id("gen-start").click();
        slow.until(d -> d.findElements(By.cssSelector("#gallery img")).size() == 2);
        wait.until(d -> loaded("#gen-detail-img"));
        assertThat(id("gen-progress-text").getText()).contains("Done");
        assertThat(id("gen-detail").getText()).contains("browser-pot").contains("blurry");
        shot("generate");

        open("deltas");
        wait.until(d -> d.findElement(By.id("deltas-table")).getText().contains("browser-pot"));
        assertThat(id("datasets").getText()).contains("concept");
        shot("deltas");

        // a long run, to see live progress and cancel it from the page
        WebClient api = new WebClient(server.port());
        String set = api.get("/api/datasets").json().findValues("id").stream().map(n -> n.asText())
                .filter(i -> api.get("/api/datasets/" + i).json().get("kind").asText().equals("instance")).findFirst().orElseThrow();
        java.util.Map<String, Object> req = new java.util.HashMap<>(ServerFixture.shortTraining(set, "long pot", 5000));
        req.put("validationPrompt", "photo of a <new1> pot");
        req.put("validationSteps", 200);
        String longJob = api.post("/api/jobs/train", req).json().get("id").asText();
        open("jobs/" + longJob);
        slow.until(d -> d.findElement(By.id("job-state")).getText().equalsIgnoreCase("running")
                && stepOf(d.findElement(By.id("job-step")).getText()) >= 20);
        shot("jobs-running");
        wait.until(d -> {
            d.findElement(By.id("job-cancel")).click();
            return true;
        });
        slow.until(d -> d.findElement(By.id("job-state")).getText().equalsIgnoreCase("cancelled"));
        assertThat(id("job-resume").isDisplayed()).isTrue();

        // a restart on the same workdir keeps the job, its outputs and its delta
        server.close();
        server = WebServer.start(options());
        open("jobs");
        wait.until(d -> d.findElement(By.id("job-list")).getText().contains("browser pot"));
        driver.findElement(By.xpath("//div[contains(@class,'job-item')][.//div[text()='browser pot']]")).click();
        wait.until(d -> d.findElement(By.id("job-state")).getText().equalsIgnoreCase("done"));
        wait.until(d -> !d.findElements(By.cssSelector("#validation-strip img")).isEmpty());
        assertThat(id("job-result-delta").getText()).isEqualTo("browser-pot");
        shot("jobs-after-restart");
        open("deltas");
        wait.until(d -> d.findElement(By.id("deltas-table")).getText().contains("browser-pot"));
        open("generate");
        wait.until(d -> d.findElements(By.cssSelector("#gallery img")).size() == 2);
    }

    @Test
    @Order(2)
    void retrieveRealClassPicturesFromAServiceAndFromACollection() throws Exception {
        try (FakeKnnServer fake = FakeKnnServer.start()) {
            List<FakeKnnServer.Result> results = new java.util.ArrayList<>();
            for (int i = 0; i < 3; i++) {
                fake.picture(i + ".png", FakeKnnServer.png(32, 32, 70 + i));
                results.add(new FakeKnnServer.Result(fake.img(i + ".png"), "a wooden pot, photo " + i, 0.3));
            }
            fake.results(results);
            open("train");
            type("concept-0-class", "wooden pot");
            new Select(id("concept-0-source")).selectByValue("retrieve");
            wait.until(d -> d.findElement(By.id("concept-0-retrieve-url")).isDisplayed());
            type("concept-0-retrieve-url", fake.serviceUrl());
            type("concept-0-retrieve-count", 3);
            shot("train-retrieve");
            id("concept-0-retrieve-start").click();
            WebDriverWait slow = waiting(Duration.ofMinutes(5)); // the collection job loads libtorch and the text encoder
            retrieved(slow, "3 real pictures ready, used as this concept’s class pictures");
            wait.until(d -> new Select(d.findElement(By.id("concept-0-source"))).getOptions().stream()
                    .anyMatch(o -> o.getText().equals("retrieved: wooden pot (3)")));
            assertThat(fake.queries().get(0).get("text").asText()).isEqualTo("wooden pot");
            assertThat(fake.queries().get(0).get("use_safety_model").asBoolean()).isTrue();

            new Select(id("concept-0-retrieve-from")).selectByValue("collection");
            wait.until(d -> d.findElement(By.id("concept-0-retrieve-collection")).isDisplayed());
            assertThat(id("concept-0-retrieve-url").isDisplayed()).isFalse();
            type("concept-0-class", "clay pot");
            type("concept-0-retrieve-count", 2);
            id("concept-0-retrieve-start").click();
            retrieved(slow, "2 real pictures ready, used as this concept’s class pictures");
            wait.until(d -> new Select(d.findElement(By.id("concept-0-source"))).getOptions().stream()
                    .anyMatch(o -> o.getText().equals("retrieved: clay pot (2)")));
            assertThat(new Select(id("concept-0-source")).getFirstSelectedOption().getAttribute("value")).isEqualTo("retrieve");
            shot("train-retrieved");

            open("jobs");
            wait.until(d -> d.findElement(By.id("job-list")).getText().contains("REAL CLASS PICTURES")); // the type label is upper-cased
            driver.findElement(By.xpath("//div[contains(@class,'job-item')][.//div[text()='real class pictures: clay pot']]")).click();
            wait.until(d -> d.findElement(By.id("job-result-retrieved")).getText().startsWith("2 real class pictures are ready"));
        }
    }

    /** Waits for the concept card's retrieval status; on a time-out says what the page and the server show. */
    void retrieved(WebDriverWait w, String status) {
        try {
            w.until(d -> d.findElement(By.id("concept-0-retrieve-status")).getText().equals(status));
        } catch (org.openqa.selenium.TimeoutException e) {
            throw new AssertionError("status '" + driver.findElement(By.id("concept-0-retrieve-status")).getText() + "', error '"
                    + driver.findElement(By.id("concept-0-retrieve-error")).getText() + "', jobs "
                    + new WebClient(server.port()).get("/api/jobs").body(), e);
        }
    }

    static int stepOf(String text) {
        int slash = text.indexOf(" /");
        return slash < 0 ? 0 : Integer.parseInt(text.substring(0, slash).strip());
    }

    /** Whether the image(s) matching a selector finished loading with pixels. */
    boolean loaded(String selector) {
        Object ok = ((JavascriptExecutor) driver).executeScript(
                "const i = document.querySelector(arguments[0]); return !!i && i.complete && i.naturalWidth > 0;", selector);
        return Boolean.TRUE.equals(ok);
    }
}
