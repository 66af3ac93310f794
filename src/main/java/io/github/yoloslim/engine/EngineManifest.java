package io.github.yoloslim.engine;

import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.cache.ArtifactNames;
import io.github.yoloslim.cache.FileSnapshot;
import io.github.yoloslim.cache.Json;
import io.github.yoloslim.cache.Sha256;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The content of {@code engine-manifest.json}: what the plan was built from, with which settings, by which
 * TensorRT on which GPU. No timestamps, so the same build gives the same bytes.
 *
 * @param fingerprint the hash of everything the plan depends on; a rerun with the same one is up to date
 */
public record EngineManifest(String pluginVersion, String fingerprint, FileHash input, FileHash calibrationCache,
        FileHash plan, String precision, Settings settings, Environment environment, String classifier,
        boolean timingCacheReused, List<String> warnings) {

    /** A file, its content hash and its size. */
    public record FileHash(String file, String sha256, long bytes) {
    }

    /** The builder settings. */
    public record Settings(long workspaceBytes, int optimizationLevel, BatchProfile batchProfile) {
    }

    /** The machine the plan was built on; a plan runs only where TensorRT and the GPU architecture match. */
    public record Environment(String tensorRt, String cudaRuntime, String driver, String gpu,
            String computeCapability) {
    }

    public EngineManifest {
        warnings = List.copyOf(warnings);
    }

    /**
     * The ONNX model a plan was built from, as its manifest beside it records (by content): a file of the
     * plan's folder, or {@code model}. An engine has the input, output and classes of that model.
     *
     * @param parameter the setting the plan came from, for messages
     */
    public static Path sourceOf(FileSnapshot snapshot, Path model, String parameter) throws IOException {
        Path plan = snapshot.file();
        Path manifestFile = plan.toAbsolutePath().resolveSibling(ArtifactNames.ENGINE_MANIFEST);
        if (!Files.isRegularFile(manifestFile)) {
            throw new InvalidInputException(parameter + " " + plan + " has no " + ArtifactNames.ENGINE_MANIFEST + " beside it, "
                    + "so its model's input and classes are unknown. Point " + parameter + " at a plan that "
                    + "build-engine wrote, in its output folder.");
        }
        EngineManifest manifest = Json.mapper().readValue(manifestFile.toFile(), EngineManifest.class);
        if (!snapshot.sha256().equals(manifest.plan().sha256())) {
            throw new InvalidInputException(parameter + " " + plan + " is not the plan " + manifestFile
                    + " describes (its content changed). Rebuild it with build-engine.");
        }
        for (Path source : List.of(manifestFile.resolveSibling(manifest.input().file()), model)) {
            if (Files.isRegularFile(source) && Sha256.ofFile(source).equals(manifest.input().sha256())) {
                return source;
            }
        }
        throw new InvalidInputException(parameter + " " + plan + " was built from " + manifest.input().file()
                + " (sha256 " + manifest.input().sha256() + "), which is neither beside it nor <model>. Rebuild the "
                + "plan with build-engine.");
    }
}
