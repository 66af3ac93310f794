package io.github.yoloslim.engine.tensorrt;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * TensorRT and CUDA stay behind one package, reached only through the {@code EngineBuilder} service, so everything
 * else compiles, loads and is tested without them.
 */
class NativeBoundaryTest {

    private static final Path MAIN = Path.of("src/main/java");
    private static final Path THE_PACKAGE = MAIN.resolve("io/github/yoloslim/engine/tensorrt");

    @Test
    void onlyTheTensorRtPackageUsesJavaCpp() throws IOException {
        assertThat(THE_PACKAGE).isDirectory();
        List<Path> users;
        try (Stream<Path> files = Files.walk(MAIN)) {
            users = files.filter(file -> file.toString().endsWith(".java")).filter(NativeBoundaryTest::mentionsBytedeco)
                    .toList();
        }
        assertThat(users).isNotEmpty().allMatch(file -> file.getParent().equals(THE_PACKAGE));
    }

    @Test
    void nothingOutsideThePackageNamesIt() throws IOException {
        List<Path> users;
        try (Stream<Path> files = Files.walk(MAIN)) {
            users = files.filter(file -> file.toString().endsWith(".java"))
                    .filter(file -> !file.getParent().equals(THE_PACKAGE))
                    .filter(file -> read(file).contains("io.github.yoloslim.engine.tensorrt")).toList();
        }
        assertThat(users).isEmpty();
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Imports or fully qualified uses of JavaCPP classes; Maven coordinates in messages do not count. */
    private static boolean mentionsBytedeco(Path file) {
        try {
            return Pattern.compile("(^import\\s+(static\\s+)?org\\.bytedeco\\.|\\borg\\.bytedeco\\.\\w+\\.)",
                    Pattern.MULTILINE).matcher(Files.readString(file)).find();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
