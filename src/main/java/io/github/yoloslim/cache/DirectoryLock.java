package io.github.yoloslim.cache;

import io.github.yoloslim.progress.ProgressListener;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Exclusive use of an output directory while a stage reads and writes it: an operating-system lock on
 * {@code <dir>/.lock} between processes (two builds of one project started at once), and a lock per directory
 * between threads of one JVM (where the file lock cannot help). Re-entrant, so a stage may call another that locks
 * the same directory. A build that finds the directory taken says so and waits.
 */
public final class DirectoryLock implements AutoCloseable {

    /** The lock file's name inside the directory. */
    public static final String FILE_NAME = ".lock";

    private static final Map<Path, Held> HELD = new ConcurrentHashMap<>();

    /** The locks of one directory in this JVM; the file lock is taken by the outermost holder. */
    private static final class Held {
        final ReentrantLock threads = new ReentrantLock(true);
        FileChannel channel;
        FileLock fileLock;
    }

    private final Held held;

    private DirectoryLock(Held held) {
        this.held = held;
    }

    /** Locks {@code directory} (which must exist), waiting for other builds and threads. */
    public static DirectoryLock acquire(Path directory, ProgressListener listener) throws IOException {
        Path key = directory.toAbsolutePath().normalize();
        Held held = HELD.computeIfAbsent(key, k -> new Held());
        if (!held.threads.tryLock()) {
            listener.stage("Waiting for another goal of this JVM that is using " + key);
            held.threads.lock();
        }
        if (held.threads.getHoldCount() > 1) {
            return new DirectoryLock(held);
        }
        try {
            FileChannel channel = FileChannel.open(key.resolve(FILE_NAME), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                listener.stage("Waiting for another build that is using " + key + " (it holds " + FILE_NAME + ")");
                lock = channel.lock();
            }
            held.channel = channel;
            held.fileLock = lock;
            return new DirectoryLock(held);
        } catch (IOException | RuntimeException e) {
            held.threads.unlock();
            throw e;
        }
    }

    @Override
    public void close() throws IOException {
        try {
            if (held.threads.getHoldCount() == 1 && held.channel != null) {
                held.fileLock.release();
                held.channel.close();
                held.channel = null;
                held.fileLock = null;
            }
        } finally {
            held.threads.unlock();
        }
    }
}
