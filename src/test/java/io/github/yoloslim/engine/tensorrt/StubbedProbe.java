package io.github.yoloslim.engine.tensorrt;

import io.github.yoloslim.engine.EngineEnvironment;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Probes in a fresh JVM whose {@code LD_LIBRARY_PATH} holds stand-in CUDA libraries: shared objects with the
 * real names and symbol versions but nothing inside, so the real loader gets past them and stops at the next
 * library that is really missing. A JVM of its own, because a library that failed to load stays failed.
 */
final class StubbedProbe {

    private StubbedProbe() {
    }

    /** Prints the probe's availability, detail and CUDA runtime version, one per line. */
    public static void main(String[] args) {
        EngineEnvironment environment = new TensorRtEngineBuilder().probe();
        System.out.println(environment.availability());
        System.out.println(environment.detail());
        System.out.println(environment.cudaRuntimeVersion());
    }

    static void requireCompiler() throws InterruptedException {
        boolean found;
        try {
            found = new ProcessBuilder("gcc", "--version").redirectErrorStream(true).start().waitFor() == 0;
        } catch (IOException e) {
            found = false;
        }
        Assumptions.assumeTrue(found, "needs gcc to compile stand-in CUDA libraries");
    }

    /**
     * Compiles empty stand-ins with these sonames. The runtime's stand-in answers the two version queries that
     * the probe makes before it loads TensorRT (CUDA 13.1).
     */
    static void writeStubs(Path dir, String... sonames) throws IOException, InterruptedException {
        for (String soname : sonames) {
            Path source = dir.resolve(soname + ".c");
            Files.writeString(source, soname.startsWith("libcudart")
                    ? "int cudaRuntimeGetVersion(int *v) { *v = 13010; return 0; }\n"
                            + "int cudaDriverGetVersion(int *v) { *v = 13010; return 0; }\n"
                    : "void yoloslim_stand_in(void) {}\n");
            Path versions = dir.resolve(soname + ".map");
            Files.writeString(versions, soname + " { global: *; };\n");
            Process gcc = new ProcessBuilder("gcc", "-shared", "-fPIC", "-o", dir.resolve(soname).toString(),
                    "-Wl,-soname," + soname, "-Wl,--version-script=" + versions, source.toString())
                    .redirectErrorStream(true).start();
            String output = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (gcc.waitFor() != 0) {
                throw new IllegalStateException("gcc could not build " + soname + ": " + output);
            }
        }
    }

    /** Runs {@link #main} with {@code dir} as {@code LD_LIBRARY_PATH} and returns its lines. */
    static List<String> probeWith(Path dir) throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder builder = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                StubbedProbe.class.getName());
        builder.environment().put("LD_LIBRARY_PATH", dir.toString());
        Process probe = builder.redirectErrorStream(true).start();
        String output = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (probe.waitFor() != 0) {
            throw new IllegalStateException("the probe JVM failed: " + output);
        }
        return new ArrayList<>(output.lines().toList());
    }
}
