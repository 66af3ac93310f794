package io.github.yoloslim.cache;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 fingerprints of files and of composite keys, as lowercase hex. */
public final class Sha256 {

    private final MessageDigest digest;

    private Sha256() {
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime provides SHA-256", e);
        }
    }

    /** Starts a composite fingerprint. */
    public static Sha256 builder() {
        return new Sha256();
    }

    /** The hash of one file's bytes. */
    public static String ofFile(Path file) throws IOException {
        return builder().addFile(file).hex();
    }

    /** The hash of a byte array. */
    public static String ofBytes(byte[] bytes) {
        return builder().addBytes(bytes).hex();
    }

    /** Adds a labelled string; labels and lengths keep {@code ("ab","c")} and {@code ("a","bc")} apart. */
    public Sha256 add(String label, Object value) {
        addField(label);
        addField(String.valueOf(value));
        return this;
    }

    /** Adds a file's bytes. */
    public Sha256 addFile(Path file) throws IOException {
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buffer)) > 0;) {
                digest.update(buffer, 0, n);
            }
        }
        return this;
    }

    /** Adds raw bytes. */
    public Sha256 addBytes(byte[] bytes) {
        digest.update(bytes);
        return this;
    }

    private void addField(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        digest.update(Integer.toString(bytes.length).getBytes(StandardCharsets.US_ASCII));
        digest.update((byte) ':');
        digest.update(bytes);
    }

    /** Finishes the fingerprint; the builder must not be used afterwards. */
    public String hex() {
        return HexFormat.of().formatHex(digest.digest());
    }
}
