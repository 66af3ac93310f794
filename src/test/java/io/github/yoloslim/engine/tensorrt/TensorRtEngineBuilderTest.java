package io.github.yoloslim.engine.tensorrt;

import io.github.yoloslim.cache.FileSnapshot;
import io.github.yoloslim.engine.Availability;
import io.github.yoloslim.engine.EngineBuilder;
import io.github.yoloslim.engine.EngineEnvironment;
import io.github.yoloslim.engine.EngineSpec;
import io.github.yoloslim.engine.Precision;
import io.github.yoloslim.progress.ProgressListener;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** What runs on every machine: the real probe, its classification, registration and native bookkeeping. */
class TensorRtEngineBuilderTest {

    private static final String WRAPPER = "/root/.javacpp/cache/cuda-13.1-9.19-1.5.13-linux-x86_64.jar/org/bytedeco"
            + "/cuda/linux-x86_64/";

    /** Whether this machine has neither an NVIDIA device node nor the driver library anywhere the loader looks. */
    static boolean noDriverHere() {
        return !Files.exists(Path.of("/dev/nvidia0")) && !onLibraryPath("libcuda.so.1");
    }

    private static boolean onLibraryPath(String soname) {
        String ldPath = System.getenv().getOrDefault("LD_LIBRARY_PATH", "");
        List<String> dirs = new ArrayList<>(List.of(ldPath.split(File.pathSeparator)));
        dirs.addAll(List.of("/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/lib/x86_64-linux-gnu",
                "/usr/local/nvidia/lib64", "/usr/lib/wsl/lib", "/usr/local/tensorrt/lib", "/usr/local/cuda/lib64"));
        return dirs.stream().filter(d -> !d.isEmpty()).anyMatch(d -> Files.exists(Path.of(d, soname)));
    }

    @Test
    void probeReallyLoadsTheNativesAndNamesWhatIsMissing() {
        EngineEnvironment environment = new TensorRtEngineBuilder().probe();
        if (environment.available()) {
            assertThat(environment.detail()).isEmpty();
            assertThat(environment.tensorRtVersion()).matches("10\\.\\d+\\.\\d+");
            assertThat(environment.cudaRuntimeVersion()).matches("\\d+\\.\\d+");
            assertThat(environment.driverVersion()).matches("\\d+\\.\\d+");
            assertThat(environment.gpuName()).isNotBlank();
            assertThat(environment.computeCapability()).matches("\\d+\\.\\d+");
        } else if (noDriverHere()) {
            // Measured on a machine without GPU or driver: libjnicudart.so cannot find libcuda.so.1.
            assertThat(environment.availability()).isEqualTo(Availability.NO_CUDA_DRIVER);
            assertThat(environment.detail()).startsWith("libcuda.so.1: cannot open shared object file");
            assertThat(environment.tensorRtVersion()).isNull();
            assertThat(environment.gpuName()).isNull();
        } else {
            assertThat(environment.detail()).isNotBlank();
        }
    }

    @Test
    void probingTwiceReturnsTheCachedAnswer() {
        EngineEnvironment first = new TensorRtEngineBuilder().probe();
        // The very object: the second probe loaded nothing again.
        assertThat(new TensorRtEngineBuilder().probe()).isSameAs(first);
    }

    @Test
    void buildAndOpenRefuseWhereTensorRtCannotRun(@TempDir Path dir) {
        TensorRtEngineBuilder builder = new TensorRtEngineBuilder();
        EngineEnvironment environment = builder.probe();
        assumeFalse(environment.available(), "TensorRT is available here");
        EngineSpec spec = new EngineSpec(dir.resolve("model.onnx"), Precision.FP32, Optional.empty(), 1L << 30, 3,
                Optional.empty(), Optional.empty());
        assertThatThrownBy(() -> builder.build(spec, ProgressListener.silent()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(environment.availability().description())
                .hasMessageContaining(environment.detail());
        assertThatThrownBy(() -> builder.open(new FileSnapshot(dir.resolve("model.plan"), new byte[0], ""), null))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(environment.availability().description());
    }

    @Test
    void nameNeedsNoNatives() {
        assertThat(new TensorRtEngineBuilder().name()).isEqualTo("TensorRT 10.15 (JavaCPP)");
    }

    @Test
    void classifiesTheLoadersMessages() {
        // The chain JavaCPP throws (measured): "no jni… in java.library.path" caused by the dynamic linker's error.
        UnsatisfiedLinkError noDriver = new UnsatisfiedLinkError("no jnicudart in java.library.path: /usr/lib");
        noDriver.initCause(new UnsatisfiedLinkError(WRAPPER + "libjnicudart.so: libcuda.so.1: cannot open shared"
                + " object file: No such file or directory"));
        String detail = TensorRtProbe.detail(noDriver);
        assertThat(detail).isEqualTo("libcuda.so.1: cannot open shared object file: No such file or directory");
        assertThat(TensorRtProbe.classify(detail)).isEqualTo(Availability.NO_CUDA_DRIVER);

        assertThat(classified("libjnicudart.so", "libcudart.so.13")).isEqualTo(Availability.NO_CUDA_RUNTIME);
        assertThat(classified("libjnicublas.so", "libcublas.so.13")).isEqualTo(Availability.NO_CUDA_RUNTIME);
        assertThat(classified("libjnicublas.so", "libcublasLt.so.13")).isEqualTo(Availability.NO_CUDA_RUNTIME);
        assertThat(classified("libjnicudnn.so", "libcudnn_cnn.so.9")).isEqualTo(Availability.NO_CUDA_RUNTIME);
        assertThat(classified("libjninvrtc.so", "libnvrtc.so.13")).isEqualTo(Availability.NO_CUDA_RUNTIME);
        assertThat(classified("libjninvinfer.so", "libnvinfer.so.10")).isEqualTo(Availability.NO_TENSORRT);
        assertThat(classified("libjninvonnxparser.so", "libnvonnxparser.so.10")).isEqualTo(Availability.NO_TENSORRT);
        assertThat(classified("libjninvinfer.so", "libstdc++.so.6")).isEqualTo(Availability.FAILED);

        UnsatisfiedLinkError symbol = new UnsatisfiedLinkError(WRAPPER + "libjninvinfer.so: undefined symbol: x");
        assertThat(TensorRtProbe.detail(symbol)).isEqualTo(symbol.getMessage());
        assertThat(TensorRtProbe.classify(TensorRtProbe.detail(symbol)))
                .isEqualTo(Availability.FAILED);
        NoClassDefFoundError earlier = new NoClassDefFoundError("Could not initialize class"
                + " org.bytedeco.cuda.global.cudart");
        assertThat(TensorRtProbe.classify(TensorRtProbe.detail(earlier)))
                .isEqualTo(Availability.FAILED);
    }

    private static Availability classified(String wrapper, String library) {
        String detail = TensorRtProbe.detail(new UnsatisfiedLinkError(WRAPPER + wrapper + ": " + library
                + ": cannot open shared object file: No such file or directory"));
        assertThat(detail).startsWith(library + ": ");
        return TensorRtProbe.classify(detail);
    }

    @Test
    void serviceLoaderFindsExactlyThisImplementationInTheMainClasses() {
        Path mainClasses = codeSource(EngineBuilder.class);
        List<ServiceLoader.Provider<EngineBuilder>> shipped = ServiceLoader.load(EngineBuilder.class).stream()
                .filter(provider -> codeSource(provider.type()).equals(mainClasses))
                .toList();
        assertThat(shipped).extracting(provider -> provider.type().getName())
                .containsExactly(TensorRtEngineBuilder.class.getName());
        // Instantiating it loads nothing native, so every machine can list the builders.
        assertThat(shipped.get(0).get().name()).startsWith("TensorRT");
    }

    private static Path codeSource(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void ownedObjectsAreFreedWithTheirClassesNativeDeallocator() {
        // Stands in for an object TensorRT returns: memory JavaCPP allocated with new[], disowned, and wrapped
        // without a deallocator as JavaCPP wraps returned pointers. BytePointer's deallocator is the matching
        // delete[].
        BytePointer allocated = new BytePointer(64);
        allocated.deallocate(false);
        Pointer address = new Pointer() {
            {
                address = allocated.address();
            }
        };
        BytePointer returned = new BytePointer(address);
        assertThat(returned.isNull()).isFalse();

        NativeScope scope = new NativeScope();
        assertThat(scope.own(returned, () -> new BytePointer(1))).isSameAs(returned);
        assertThat(scope.own(null, () -> new BytePointer(1))).isNull();
        List<Boolean> ownedFreedBeforeLaterRelease = new ArrayList<>();
        scope.onClose(() -> ownedFreedBeforeLaterRelease.add(returned.isNull()));
        scope.close();
        // Released last acquired first, and the owned array really went through its deallocator.
        assertThat(ownedFreedBeforeLaterRelease).containsExactly(false);
        assertThat(returned.isNull()).isTrue();

        // An object with a deallocator of its own keeps it (attaching would have freed it at once).
        BytePointer javaCppOwned = new BytePointer(8);
        try (NativeScope another = new NativeScope()) {
            another.own(javaCppOwned, () -> new BytePointer(1));
            assertThat(javaCppOwned.isNull()).isFalse();
        }
        assertThat(javaCppOwned.isNull()).isTrue();
    }

    @Test
    void stubbedCudaWithoutTensorRtIsReportedPrecisely(@TempDir Path dir) throws Exception {
        // With real CUDA or TensorRT libraries the stand-ins would be mixed with them (and their empty functions
        // called), so this runs only where neither is installed.
        assumeTrue(noDriverHere() && !onLibraryPath("libnvinfer.so.10"),
                "this machine has CUDA driver or TensorRT libraries that would mix with the stand-ins");
        StubbedProbe.requireCompiler();
        Path onlyDriver = Files.createDirectories(dir.resolve("driver"));
        StubbedProbe.writeStubs(onlyDriver, "libcuda.so.1");
        // Past the driver, the loader stops at the first CUDA library missing here (the runtime, or cuBLAS where
        // the runtime alone is installed, as on the machine this was written on).
        List<String> noRuntime = StubbedProbe.probeWith(onlyDriver);
        assertThat(noRuntime.get(0)).isEqualTo(Availability.NO_CUDA_RUNTIME.name());
        assertThat(noRuntime.get(1)).matches("lib(cudart|cublas|cublasLt|nvrtc|cudnn_\\w+)\\.so\\.\\d+: cannot open"
                + " shared object file.*");

        Path cuda = Files.createDirectories(dir.resolve("cuda"));
        StubbedProbe.writeStubs(cuda, "libcuda.so.1", "libcudart.so.13", "libcublas.so.13", "libcublasLt.so.13",
                "libnvrtc.so.13", "libcudnn_adv.so.9", "libcudnn_cnn.so.9", "libcudnn_graph.so.9", "libcudnn_ops.so.9");
        List<String> noTensorRt = StubbedProbe.probeWith(cuda);
        assertThat(noTensorRt.subList(0, 2)).containsExactly(Availability.NO_TENSORRT.name(),
                "libnvinfer.so.10: cannot open shared object file: No such file or directory");
        // The runtime loaded, so its version is known: the stand-in's, or a real one found before it.
        assertThat(noTensorRt.get(2)).matches("13\\.\\d+");
    }
}
