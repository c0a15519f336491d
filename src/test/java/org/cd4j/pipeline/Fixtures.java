package org.cd4j.pipeline;

import java.net.URISyntaxException;
import java.nio.file.Path;

/** Locates the test fixtures copied from shared/fixtures into src/test/resources. */
public final class Fixtures {
    private Fixtures() {}

    /** {@code src/test/resources/fixtures/<rel>}. */
    public static Path path(String rel) {
        try {
            return Path.of(Fixtures.class.getResource("/fixtures/README.md").toURI()).getParent().resolve(rel);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static Path tinySd1() {
        return path("tiny-sd1");
    }
}
