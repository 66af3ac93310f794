package io.github.yoloslim.data;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** The real data beside the project (system property {@code yoloslim.shared}, default {@code ../shared}). */
final class SharedData {

    private SharedData() {
    }

    /** A file or folder under shared/; the calling test is skipped, with the reason, when it is absent. */
    static Path require(String relative) {
        Path root = Path.of(System.getProperty("yoloslim.shared", "../shared"));
        Path path = root.resolve(relative);
        assumeTrue(Files.exists(path), () -> "shared data " + path.toAbsolutePath() + " is absent (set -Dyoloslim.shared"
                + " to the folder described in shared/README.md to run this test)");
        return path;
    }
}
