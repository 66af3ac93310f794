package io.github.yoloslim.cache;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;

import static org.assertj.core.api.Assertions.assertThat;

class FileHashesTest {

    @Test
    void aFileIsHashedAgainWhenItIsReplacedOrRewritten(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("model.onnx");
        Files.writeString(file, "first");
        assertThat(FileHashes.sha256(file)).isEqualTo(Sha256.ofFile(file));

        // Replaced by a move, as every output is: same size, another file.
        AtomicFiles.write(file, "other".getBytes(StandardCharsets.UTF_8));
        assertThat(FileHashes.sha256(file)).isEqualTo(Sha256.ofFile(file)).isEqualTo(Sha256.ofBytes(
                "other".getBytes(StandardCharsets.UTF_8)));

        // Rewritten in place with the same size: its modification time moves.
        FileTime before = Files.getLastModifiedTime(file);
        Files.writeString(file, "third");
        Files.setLastModifiedTime(file, FileTime.fromMillis(before.toMillis() + 1000));
        assertThat(FileHashes.sha256(file)).isEqualTo(Sha256.ofBytes("third".getBytes(StandardCharsets.UTF_8)));
    }
}
