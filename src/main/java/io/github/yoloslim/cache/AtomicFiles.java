package io.github.yoloslim.cache;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.OptionalLong;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writes files so that readers see either the old content or the complete new one, never a partial file.
 *
 * <p>The temporary file is {@code .<name>.<pid>.<random>.tmp} beside the target, created the way any new file
 * is, so the result gets the permissions of an ordinary write (the umask's, not {@link Files#createTempFile}'s
 * owner-only 0600, which would survive the move and hide the artifact from a Docker stage or a web server). A
 * write first removes the temporary files that killed processes left for the same target: the process id in
 * the name tells a live writer's (another build's, which must not be touched) from an orphan.
 */
public final class AtomicFiles {

    private static final String SUFFIX = ".tmp";

    /** Writes the content of one output stream. */
    @FunctionalInterface
    public interface Writer {
        void writeTo(OutputStream out) throws IOException;
    }

    private AtomicFiles() {
    }

    /** Writes through a temporary file beside {@code target}, then moves it into place. */
    public static void write(Path target, Writer writer) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path dir = absolute.getParent();
        Files.createDirectories(dir);
        String prefix = "." + absolute.getFileName() + ".";
        removeOrphans(dir, prefix);
        Path temp = dir.resolve(prefix + ProcessHandle.current().pid() + "."
                + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36) + SUFFIX);
        try {
            try (OutputStream out = Files.newOutputStream(temp, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE)) {
                writer.writeTo(out);
            }
            try {
                Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, absolute, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** Writes a byte array atomically. */
    public static void write(Path target, byte[] bytes) throws IOException {
        write(target, out -> out.write(bytes));
    }

    /**
     * Deletes the target's temporary files whose writer is no longer running: {@code <prefix><pid>.<random>.tmp}
     * with a dead pid, and {@code <prefix without its dot><digits>.tmp}, which earlier versions of this class made
     * with {@link Files#createTempFile} and whose writer cannot be known.
     */
    private static void removeOrphans(Path dir, String prefix) throws IOException {
        String dotless = prefix.substring(0, prefix.length() - 1);
        Pattern legacy = Pattern.compile(Pattern.quote(dotless) + "\\d+" + Pattern.quote(SUFFIX));
        try (DirectoryStream<Path> temps = Files.newDirectoryStream(dir, glob(dotless) + "*" + SUFFIX)) {
            for (Path temp : temps) {
                String name = temp.getFileName().toString();
                OptionalLong pid = writerPid(name, prefix);
                if ((pid.isPresent() && ProcessHandle.of(pid.getAsLong()).isEmpty())
                        || legacy.matcher(name).matches()) {
                    Files.deleteIfExists(temp);
                }
            }
        }
    }

    /** The writer's process id, when {@code name} is one of this class's temporary files for {@code prefix}. */
    static OptionalLong writerPid(String name, String prefix) {
        Matcher matcher = Pattern.compile(Pattern.quote(prefix) + "(\\d{1,18})\\.[0-9a-z]+" + Pattern.quote(SUFFIX))
                .matcher(name);
        return matcher.matches() ? OptionalLong.of(Long.parseLong(matcher.group(1))) : OptionalLong.empty();
    }

    /** {@code text} with glob metacharacters escaped. */
    private static String glob(String text) {
        return text.replaceAll("([\\\\*?\\[\\]{}])", "\\\\$1");
    }
}
