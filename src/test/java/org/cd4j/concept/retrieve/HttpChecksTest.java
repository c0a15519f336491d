package org.cd4j.concept.retrieve;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Addresses, options and settings are checked before anything is sent. */
class HttpChecksTest {
    @Test
    void addressesMustBeHttpAndAreQuotedWhereUriRefuses() throws FetchFailure {
        assertThat(Http.httpUri("https://example.org/a b/ü.jpg?x=1").toASCIIString()).isEqualTo("https://example.org/a%20b/%C3%BC.jpg?x=1");
        assertThat(Http.httpUri(" http://example.org/x.png ").toString()).isEqualTo("http://example.org/x.png");
        assertThatThrownBy(() -> Http.httpUri("file:///etc/passwd")).isInstanceOf(FetchFailure.class).hasMessageContaining("not an http(s) address");
        assertThatThrownBy(() -> Http.httpUri("ftp://example.org/a.jpg")).hasMessageContaining("not an http(s) address");
        assertThatThrownBy(() -> Http.httpUri("/relative.jpg")).hasMessageContaining("not an http(s) address");
        assertThatThrownBy(() -> new KnnService("localhost:1234", KnnOptions.REFERENCE, HttpSettings.DEFAULT))
                .hasMessageContaining("--service 'localhost:1234' is not an http(s) address");
    }

    @Test
    void optionsAndSettingsNameTheirFlags() {
        assertThatThrownBy(() -> new KnnOptions("x", "audio", true, true, true, 9, 0.1, false)).hasMessageContaining("--modality");
        assertThatThrownBy(() -> new KnnOptions("x", "image", true, true, true, 10, 0.1, false)).hasMessageContaining("--aesthetic-score");
        assertThatThrownBy(() -> new KnnOptions("x", "image", true, true, true, 9, 1.5, false)).hasMessageContaining("--aesthetic-weight");
        assertThatThrownBy(() -> new KnnOptions(" ", "image", true, true, true, 9, 0.1, false)).hasMessageContaining("--indice-name");
        assertThatThrownBy(() -> new HttpSettings(Duration.ZERO, 1, Duration.ZERO, 1)).hasMessageContaining("--timeout");
        assertThatThrownBy(() -> new HttpSettings(Duration.ofSeconds(1), -1, Duration.ZERO, 1)).hasMessageContaining("--retries");
        assertThatThrownBy(() -> new HttpSettings(Duration.ofSeconds(1), 1, Duration.ZERO, 0)).hasMessageContaining("--max-bytes");
        assertThatThrownBy(() -> new ImageCollector.Options(0, 1, 1)).hasMessageContaining("--num-class-images");
        assertThatThrownBy(() -> new ImageCollector.Options(1, 0, 1)).hasMessageContaining("--workers");
        assertThatThrownBy(() -> new ImageCollector.Options(1, 1, 0)).hasMessageContaining("--max-pixels");
    }

    @Test
    void theQueryGrowsAsTheReferenceDoes() {
        KnnCandidates k = new KnnCandidates(new KnnService("http://127.0.0.1:9/knn-service", KnnOptions.REFERENCE, HttpSettings.DEFAULT),
                "cat", 200, 10_000, RetrievalListener.NONE);
        assertThat(k.grow(300)).isEqualTo(450);
        assertThat(k.grow(1)).as("never stuck at 1").isEqualTo(2);
        assertThat(k.grow(9000)).as("capped").isEqualTo(10_000);
        assertThat(KnnService.seconds(Duration.ofSeconds(30))).isEqualTo("30");
        assertThat(KnnService.seconds(Duration.ofMillis(1500))).isEqualTo("1.5");
    }
}
