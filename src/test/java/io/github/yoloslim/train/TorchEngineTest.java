package io.github.yoloslim.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.lang.ref.Reference;
import java.lang.reflect.InvocationTargetException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** libtorch is loaded once per JVM, offline, from the bundled jar, and then serves every training. */
class TorchEngineTest {

    @Test
    void loadsOnceFromTheBundledJarAndWorksRepeatedly() {
        assertThat(TorchEngine.get()).isSameAs(TorchEngine.get());
        assertThat(System.getProperty("ai.djl.offline")).isEqualTo("true");
        assertThat(TorchEngine.libtorchPath()).contains("2.7.1").contains("cpu-linux-x86_64");
        double load = TorchEngine.loadSeconds();
        for (int i = 0; i < 3; i++) {
            try (NDManager manager = TorchEngine.newManager(TorchEngine.resolve(TrainingDevice.CPU))) {
                assertThat(manager.ones(new Shape(2, 3)).sum().getFloat()).isEqualTo(6f);
            }
        }
        assertThat(TorchEngine.loadSeconds()).isEqualTo(load);
    }

    /**
     * A constant that autograd keeps for the backward pass must not live in Java memory that the garbage collector
     * can free in the meantime (as DJL's {@code div(Number)} does).
     */
    @Test
    void aScalarOutlivesGarbageCollectionUntilTheBackwardPass() throws Exception {
        try (NDManager manager = TorchEngine.newManager(TorchEngine.resolve(TrainingDevice.CPU))) {
            NDArray x = manager.ones(new Shape(1000));
            x.setRequiresGradient(true);
            List<ByteBuffer> taken;
            try (GradientCollector collector = TorchEngine.get().newGradientCollector()) {
                NDArray y = x.div(TorchEngine.scalar(x, 2f)).mul(TorchEngine.scalar(x, 3f));
                taken = FreedNativeMemory.collectAndReuse();
                collector.backward(y.sum());
            }
            Reference.reachabilityFence(taken);
            assertThat(x.getGradient().toFloatArray()).containsOnly(1.5f);
        }
    }

    /** What a second plugin class realm in the same JVM (a Maven daemon after a plugin rebuild) runs into. */
    @Test
    void aSecondClassLoaderIsToldHowToRecover() throws Exception {
        TorchEngine.get();
        List<URL> urls = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            urls.add(Path.of(entry).toUri().toURL());
        }
        try (URLClassLoader realm = new URLClassLoader(urls.toArray(new URL[0]),
                ClassLoader.getPlatformClassLoader())) {
            Class<?> other = realm.loadClass(TorchEngine.class.getName());
            assertThat(other).isNotSameAs(TorchEngine.class);
            Throwable thrown = catchThrowable(() -> other.getMethod("get").invoke(null));
            assertThat(thrown).isInstanceOf(InvocationTargetException.class);
            assertThat(thrown.getCause()).isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("libtorch is already loaded in this JVM by another class loader")
                    .hasMessageEndingWith("Stop the daemon (`mvnd --stop`) or run the build with plain `mvn`.");
        }
    }
}
