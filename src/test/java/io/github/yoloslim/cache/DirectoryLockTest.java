package io.github.yoloslim.cache;

import io.github.yoloslim.progress.ProgressListener;
import io.github.yoloslim.testing.RecordingListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class DirectoryLockTest {

    @TempDir
    Path dir;

    @Test
    void anotherProcessWaitsUntilTheHolderIsDone() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process holder = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                Holder.class.getName(), dir.toString()).redirectErrorStream(true).start();
        BufferedReader output = new BufferedReader(new InputStreamReader(holder.getInputStream(),
                StandardCharsets.UTF_8));
        assertThat(output.readLine()).isEqualTo("locked");
        RecordingListener listener = new RecordingListener();
        long start = System.nanoTime();
        try (DirectoryLock lock = DirectoryLock.acquire(dir, listener)) {
            // The holder keeps the lock for two seconds after saying "locked".
            assertThat((System.nanoTime() - start) / 1e9).isGreaterThan(1.5);
        }
        assertThat(holder.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(listener.stages()).singleElement().asString().startsWith("Waiting for another build that is using "
                + dir.toAbsolutePath());
    }

    @Test
    void threadsOfOneJvmTakeTurnsAndOneThreadMayLockTwice() throws Exception {
        RecordingListener listener = new RecordingListener();
        CountDownLatch held = new CountDownLatch(1);
        AtomicLong releasedAt = new AtomicLong();
        Thread first = new Thread(() -> {
            try (DirectoryLock outer = DirectoryLock.acquire(dir, listener);
                    DirectoryLock inner = DirectoryLock.acquire(dir, listener)) {
                held.countDown();
                Thread.sleep(600);
                releasedAt.set(System.nanoTime());
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        first.start();
        held.await();
        try (DirectoryLock lock = DirectoryLock.acquire(dir, listener)) {
            assertThat(releasedAt.get()).as("acquired after the other thread released").isPositive();
        }
        first.join();
        assertThat(listener.stages()).containsExactly("Waiting for another goal of this JVM that is using " + dir.toAbsolutePath());
    }

    /** Holds the lock of the folder in its argument for two seconds, in a process of its own. */
    static final class Holder {
        public static void main(String[] args) throws Exception {
            try (DirectoryLock lock = DirectoryLock.acquire(Path.of(args[0]), ProgressListener.silent())) {
                System.out.println("locked");
                System.out.flush();
                Thread.sleep(2000);
            }
        }
    }
}
