package io.github.yoloslim.train;

import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * What a long training does by chance between a forward and a backward pass: the garbage collector frees the
 * native memory of unreachable direct buffers, and new ones take it. A tensor that still reads such memory then
 * sees {@link #SENTINEL}s.
 */
final class FreedNativeMemory {

    static final float SENTINEL = 1e30f;

    private FreedNativeMemory() {
    }

    /**
     * Collects garbage until a canary object is gone, lets the reference handler free the collected buffers, then
     * fills freshly allocated small direct buffers with {@link #SENTINEL}.
     *
     * @return the new buffers; hold them until the check is done, so that their memory stays taken
     */
    static List<ByteBuffer> collectAndReuse() throws InterruptedException {
        WeakReference<Object> canary = new WeakReference<>(new Object());
        for (int i = 0; i < 50 && canary.get() != null; i++) {
            System.gc();
            Thread.sleep(10);
        }
        System.gc();
        Thread.sleep(100);
        List<ByteBuffer> taken = new ArrayList<>();
        for (int size = 4; size <= 64; size += 4) {
            for (int i = 0; i < 2_000; i++) {
                ByteBuffer buffer = ByteBuffer.allocateDirect(size).order(ByteOrder.nativeOrder());
                while (buffer.hasRemaining()) {
                    buffer.putFloat(SENTINEL);
                }
                taken.add(buffer);
            }
        }
        return taken;
    }
}
