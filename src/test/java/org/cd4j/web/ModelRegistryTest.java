package org.cd4j.web;

import org.cd4j.pipeline.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The ids the page knows models by: folder names, and org_name for a hub snapshot instead of its commit hash. */
class ModelRegistryTest {
    @TempDir
    Path tmp;

    @Test
    void aHubSnapshotIsNamedByItsRepository() throws IOException {
        Path snapshot = tmp.resolve("hub/models--org--tiny/snapshots/0123456789abcdef0123456789abcdef01234567");
        try (Stream<Path> s = Files.walk(Fixtures.tinySd1())) {
            for (Path p : s.toList()) {
                Path q = snapshot.resolve(Fixtures.tinySd1().relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(q);
                else Files.createSymbolicLink(q, p.toAbsolutePath());
            }
        }
        ModelRegistry r = ModelRegistry.of(List.of(Fixtures.tinySd1(), snapshot));
        assertThat(r.all()).extracting(ModelRegistry.Model::id).containsExactly("tiny-sd1", "org_tiny");
    }
}
