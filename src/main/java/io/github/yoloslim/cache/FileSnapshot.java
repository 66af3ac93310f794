package io.github.yoloslim.cache;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A file's bytes read once, with their hash: what is run is exactly what is hashed, even if another build
 * rewrites the file meanwhile.
 *
 * @param file where the bytes came from, for messages
 */
public record FileSnapshot(Path file, byte[] bytes, String sha256) {

    /** Reads {@code file}. */
    public static FileSnapshot read(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        return new FileSnapshot(file, bytes, Sha256.ofBytes(bytes));
    }
}
