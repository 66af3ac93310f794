package io.github.yoloslim.engine.tensorrt;

import org.bytedeco.javacpp.Pointer;

import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Native objects released together, last acquired first. JavaCPP wraps what TensorRT returns without a
 * deallocator, so {@code close()} on it frees nothing (JavaCPP's own samples leak these). Every TensorRT class
 * used here has a public constructor whose JavaCPP deallocator is the C++ {@code delete} for that class; a
 * throwaway instance lends that function to the returned object through JavaCPP's
 * {@code Pointer.NativeDeallocator}, which is not public (checked against JavaCPP 1.5.13 by this class's tests).
 * TensorRT 10 objects are destroyed with {@code delete}, through their virtual destructors.
 */
final class NativeScope implements AutoCloseable {
    private static final Map<Class<?>, Long> DELETERS = new ConcurrentHashMap<>();
    private final Deque<Runnable> releases = new ArrayDeque<>();

    /** An object JavaCPP allocated, with its own deallocator. */
    <P extends Pointer> P track(P pointer) {
        releases.push(pointer::deallocate);
        return pointer;
    }

    /**
     * An object that TensorRT returned and the caller owns; null stays null.
     *
     * @param sample makes an instance of the object's class through its public constructor
     */
    <P extends Pointer> P own(P object, Supplier<P> sample) {
        if (object == null || object.isNull()) {
            return null;
        }
        // Attaching runs a deallocator already there, so an object JavaCPP owns keeps its own.
        if (deallocatorOf(object) == null) {
            attachDelete(object, DELETERS.computeIfAbsent(object.getClass(), type -> deleter(sample)));
        }
        return track(object);
    }

    void onClose(Runnable release) {
        releases.push(release);
    }

    @Override
    public void close() {
        while (!releases.isEmpty()) {
            releases.pop().run();
        }
    }

    /** The address of the deallocation function JavaCPP registered for a fresh instance of the class. */
    private static long deleter(Supplier<? extends Pointer> sample) {
        Pointer instance = sample.get();
        try {
            Object nativeDeallocator = deallocatorOf(instance);
            Method address = nativeDeallocator.getClass().getDeclaredMethod("deallocatorAddress");
            address.setAccessible(true);
            return (Long) address.invoke(nativeDeallocator);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw javaCppChanged(e);
        } finally {
            instance.deallocate();
        }
    }

    private static Object deallocatorOf(Pointer pointer) {
        try {
            Method deallocator = Pointer.class.getDeclaredMethod("deallocator");
            deallocator.setAccessible(true);
            return deallocator.invoke(pointer);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw javaCppChanged(e);
        }
    }

    private static IllegalStateException javaCppChanged(Exception e) {
        return new IllegalStateException("This JavaCPP does not offer the native deallocator that"
                + " TensorRtEngineBuilder relies on (written for JavaCPP 1.5.13)", e);
    }

    private static void attachDelete(Pointer object, long deleter) {
        try {
            Class<?> nativeDeallocator = Class.forName(Pointer.class.getName() + "$NativeDeallocator");
            Constructor<?> constructor = nativeDeallocator.getDeclaredConstructor(Pointer.class, long.class,
                    long.class);
            constructor.setAccessible(true);
            Object deallocator = constructor.newInstance(object, object.address(), deleter);
            Method attach = Pointer.class.getDeclaredMethod("deallocator",
                    Class.forName(Pointer.class.getName() + "$Deallocator"));
            attach.setAccessible(true);
            attach.invoke(object, deallocator);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw javaCppChanged(e);
        }
    }
}
