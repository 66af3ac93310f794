package io.github.yoloslim.cache;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * SHA-256 of files that one JVM checks again and again (the pipeline's outputs, checked through every stage after
 * them and by every goal of a build), remembered by path, size, modification time and file key, as build tools
 * remember file snapshots. Outputs are replaced by a move ({@link AtomicFiles}), which gives a new file key and time.
 */
public final class FileHashes {

    private record Stamp(Path file, long size, FileTime modified, Object fileKey) {
    }

    /** Enough for every output of many pipelines; beyond it the memory starts afresh. */
    private static final int CAPACITY = 1024;

    private static final Map<Stamp, String> KNOWN = new ConcurrentHashMap<>();

    private FileHashes() {
    }

    /** The hash of {@code file}'s bytes, read once per version of the file. */
    public static String sha256(Path file) throws IOException {
        Path absolute = file.toAbsolutePath().normalize();
        BasicFileAttributes attributes = Files.readAttributes(absolute, BasicFileAttributes.class);
        Stamp stamp = new Stamp(absolute, attributes.size(), attributes.lastModifiedTime(), attributes.fileKey());
        String known = KNOWN.get(stamp);
        if (known != null) {
            return known;
        }
        String hash = Sha256.ofFile(absolute);
        if (KNOWN.size() >= CAPACITY) {
            KNOWN.clear();
        }
        KNOWN.put(stamp, hash);
        return hash;
    }
}
