package org.cd4j.pipeline;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

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

    /**
     * A copy of the fixture folder {@code rel} in {@code dir} (made once: an existing copy is
     * returned), for runs that write beside their data (the trainer's latent cache), so the
     * fixtures stay as shipped.
     */
    public static Path copyOf(String rel, Path dir) throws IOException {
        Path src = path(rel);
        Path dst = dir.resolve(src.getFileName().toString());
        if (Files.exists(dst)) return dst;
        try (Stream<Path> walk = Files.walk(src)) {
            for (Path p : walk.sorted().toList()) {
                Path q = dst.resolve(src.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(q); else Files.copy(p, q);
            }
        }
        return dst;
    }

    public static Path tinySd1() {
        return path("tiny-sd1");
    }
}
