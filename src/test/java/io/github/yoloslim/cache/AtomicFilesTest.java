package io.github.yoloslim.cache;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

class AtomicFilesTest {

    @TempDir
    Path dir;

    @Test
    void outputsGetThePermissionsOfAnOrdinaryWrite() throws IOException {
        assumeThat(FileSystems.getDefault().supportedFileAttributeViews()).as("POSIX permissions").contains("posix");
        Path ordinary = dir.resolve("ordinary");
        try (OutputStream out = Files.newOutputStream(ordinary)) {
            out.write(1);
        }
        Set<PosixFilePermission> expected = Files.getPosixFilePermissions(ordinary);
        // Whatever the umask, an ordinary write lets others read unless the umask says otherwise; never owner-only
        // unless the umask is 077, which would make this test meaningless.
        assumeThat(expected).as("umask leaves group/others some permission").containsAnyOf(
                PosixFilePermission.GROUP_READ, PosixFilePermission.OTHERS_READ);

        Path target = dir.resolve("model.int8.onnx");
        AtomicFiles.write(target, new byte[] {1, 2, 3});
        assertThat(Files.getPosixFilePermissions(target)).isEqualTo(expected);
        AtomicFiles.write(target, new byte[] {4});
        assertThat(Files.getPosixFilePermissions(target)).isEqualTo(expected);
        assertThat(Files.readAllBytes(target)).containsExactly(4);
    }

    @Test
    void orphanedTemporaryFilesOfTheTargetAreRemovedAndLiveOnesKept() throws IOException {
        Path target = dir.resolve("model.onnx");
        // A process id that no process has: far above any kernel's pid_max.
        Path orphan = Files.writeString(dir.resolve(".model.onnx.4000000000.abc.tmp"), "half");
        Path unnamed = Files.writeString(dir.resolve(".model.onnx1234.tmp"), "old createTempFile style");
        Path live = Files.writeString(dir.resolve(".model.onnx." + ProcessHandle.current().pid() + ".xyz.tmp"),
                "another thread's write in progress");
        Path other = Files.writeString(dir.resolve(".report.json.4000000000.abc.tmp"), "another target's");
        Path longer = Files.writeString(dir.resolve(".model.onnx.sha256.4000000000.abc.tmp"), "a longer name's");
        AtomicFiles.write(target, new byte[] {7});
        assertThat(orphan).doesNotExist();
        assertThat(unnamed).doesNotExist();
        assertThat(live).exists();
        assertThat(other).exists();
        assertThat(longer).exists();
        assertThat(target).hasBinaryContent(new byte[] {7});
    }

    @Test
    void aFailedWriteLeavesTheOldContentAndNoTemporaryFile() throws IOException {
        Path target = dir.resolve("calibration.json");
        AtomicFiles.write(target, "old".getBytes());
        assertThatThrownBy(() -> AtomicFiles.write(target, out -> {
            out.write('n');
            throw new IOException("disk full");
        })).hasMessage("disk full");
        assertThat(target).hasContent("old");
        try (var files = Files.list(dir)) {
            assertThat(files).containsExactly(target);
        }
    }

    @Test
    void theWriterPidIsReadFromTheName() {
        assertThat(AtomicFiles.writerPid(".a.onnx.123.k9.tmp", ".a.onnx.")).hasValue(123);
        assertThat(AtomicFiles.writerPid(".a.onnx.x.k9.tmp", ".a.onnx.")).isEmpty();
        assertThat(AtomicFiles.writerPid(".a.onnx.123.tmp", ".a.onnx.")).isEmpty();
        assertThat(AtomicFiles.writerPid(".a.onnx.sha.123.k9.tmp", ".a.onnx.")).isEmpty();
    }
}
