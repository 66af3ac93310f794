package io.github.yoloslim.engine.tensorrt;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.cache.FileSnapshot;
import io.github.yoloslim.engine.BatchProfile;
import io.github.yoloslim.engine.BuiltEngine;
import io.github.yoloslim.engine.EngineBuildException;
import io.github.yoloslim.engine.EngineEnvironment;
import io.github.yoloslim.engine.EngineSpec;
import io.github.yoloslim.engine.Precision;
import io.github.yoloslim.onnx.ModelOverrides;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.onnx.YoloModelInfo;
import io.github.yoloslim.onnx.YoloModelInspector;
import io.github.yoloslim.progress.ProgressListener;
import io.github.yoloslim.quantize.QdqFormat;
import io.github.yoloslim.quantize.QdqOptions;
import io.github.yoloslim.quantize.QdqPlacement;
import io.github.yoloslim.quantize.QdqQuantizer;
import io.github.yoloslim.quantize.TensorRtCalibrationCache;
import io.github.yoloslim.runtime.Detector;
import io.github.yoloslim.runtime.DetectorOutput;
import io.github.yoloslim.runtime.DetectorSession;
import io.github.yoloslim.testing.OrtRuns;
import io.github.yoloslim.testing.RecordingListener;
import io.github.yoloslim.testing.TinyDetectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Builds real engines from tiny ONNX models and runs them against ONNX Runtime. Every test skips, with the
 * probe's reason, unless TensorRT and a CUDA GPU are here.
 */
class TensorRtGpuTest {

    private static final List<String> NAMES = List.of("a", "b");
    private static final int SIZE = 32;

    private static TensorRtEngineBuilder builder;
    private static EngineEnvironment environment;

    @TempDir
    Path dir;

    @BeforeAll
    static void probe() {
        builder = new TensorRtEngineBuilder();
        environment = builder.probe();
    }

    // Per test rather than per class, so that each one is reported as skipped with the reason.
    @BeforeEach
    void requireTensorRtAndGpu() {
        assumeTrue(environment.available(), () -> "needs TensorRT and a CUDA GPU: "
                + environment.availability().description() + " (" + environment.detail() + ")");
    }

    @ParameterizedTest
    @CsvSource({"FP32, 0.01", "FP16, 0.05"})
    void enginesComputeWhatOnnxRuntimeComputes(Precision precision, double tolerance) throws Exception {
        Path onnx = save(TinyDetectors.convolutional(SIZE, NAMES, 7), "conv.onnx");
        BuiltEngine built = builder.build(spec(onnx, precision), ProgressListener.silent());
        assertThat(built.plan()).isNotEmpty();
        assertThat(built.timingCache()).isNotEmpty();
        assertThat(built.timingCacheReused()).isFalse();
        // FP32 convolutions may run in TF32, whose 10-bit mantissa sets the tolerance.
        assertMatchesOnnxRuntime(onnx, built, 1, tolerance);
    }

    @Test
    @SuppressWarnings("try") // Detector.close() declares Exception
    void dynamicBatchNeedsAProfileAndServesItsRange() throws Exception {
        Path onnx = save(TinyDetectors.constant(SIZE, 0, NAMES, 16,
                List.of(new TinyDetectors.Box(10, 12, 4, 6, 1, 0.9f))), "dynamic.onnx");
        assertThatThrownBy(() -> builder.build(spec(onnx, Precision.FP32), ProgressListener.silent()))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("<batchProfile>");

        EngineSpec spec = new EngineSpec(onnx, Precision.FP32, Optional.empty(), 1L << 28, 3,
                Optional.of(new BatchProfile(1, 2, 4)), Optional.empty());
        BuiltEngine built = builder.build(spec, ProgressListener.silent());
        assertMatchesOnnxRuntime(onnx, built, 3, 1e-5);
        try (Detector engine = builder.open(FileSnapshot.read(Files.write(dir.resolve("dynamic.plan"), built.plan())), info(onnx))) {
            assertThat(engine.batchCapacity(8)).isEqualTo(4);
            assertThatThrownBy(() -> engine.run(image(5, 1), 5))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("1 to 4 images");
        }
    }

    @Test
    void parserRejectionCarriesTheParsersErrors() throws Exception {
        ModelProto custom = ModelProto.newBuilder()
                .setIrVersion(8)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17))
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("com.example.yoloslim").setVersion(1))
                .setGraph(GraphProto.newBuilder()
                        .setName("custom-op")
                        .addInput(TinyDetectors.tensor("images", 1, 3, SIZE, SIZE))
                        .addOutput(TinyDetectors.tensor("output0", 1, 3, SIZE, SIZE))
                        .addNode(TinyDetectors.node("YoloSlimMystery", List.of("images"), "output0").toBuilder()
                                .setDomain("com.example.yoloslim")))
                .build();
        Path onnx = save(custom, "custom.onnx");
        assertThatThrownBy(() -> builder.build(spec(onnx, Precision.FP32), ProgressListener.silent()))
                .isInstanceOfSatisfying(EngineBuildException.class, e -> {
                    assertThat(e.kind()).isEqualTo(EngineBuildException.Kind.PARSER_REJECTED);
                    assertThat(e.getMessage()).contains(onnx.toAbsolutePath().toString());
                    assertThat(e.details()).isNotEmpty().anyMatch(detail -> detail.contains("YoloSlimMystery"));
                });
    }

    @Test
    void timingCacheIsReusedAndAForeignOneRebuilt() throws Exception {
        Path onnx = save(TinyDetectors.convolutional(SIZE, NAMES, 7), "conv.onnx");
        BuiltEngine first = builder.build(spec(onnx, Precision.FP32), ProgressListener.silent());

        BuiltEngine second = builder.build(withTimingCache(onnx, first.timingCache()), ProgressListener.silent());
        assertThat(second.timingCacheReused()).isTrue();
        assertThat(second.warnings()).noneMatch(warning -> warning.contains("timing cache"));

        RecordingListener listener = new RecordingListener();
        BuiltEngine rebuilt = builder.build(withTimingCache(onnx,
                "not a TensorRT timing cache".getBytes(StandardCharsets.US_ASCII)), listener);
        assertThat(rebuilt.timingCacheReused()).isFalse();
        assertThat(rebuilt.timingCache()).isNotEmpty();
        assertThat(rebuilt.plan()).isNotEmpty();
        assertThat(listener.warnings()).anyMatch(warning -> warning.contains("timing cache") && warning.contains("rebuilding"));
        assertThat(rebuilt.warnings()).anyMatch(warning -> warning.contains("rebuilding"));
    }

    @Test
    void implicitInt8ReadsOurCalibrationCache() throws Exception {
        assumeFastInt8();
        Path onnx = save(TinyDetectors.convolutional(SIZE, NAMES, 7), "conv.onnx");
        Map<String, Double> amax = ranges(onnx, Set.of("images", "conv0", "sig0", "act0", "conv1", "output0"));
        String cache = TensorRtCalibrationCache.format(
                TensorRtCalibrationCache.versionTag(environment.tensorRtVersion(), "tensorRtVersion"),
                TensorRtCalibrationCache.ENTROPY_CALIBRATION_2, amax);

        EngineSpec spec = new EngineSpec(onnx, Precision.INT8_IMPLICIT,
                Optional.of(cache.getBytes(StandardCharsets.US_ASCII)), 1L << 28, 3, Optional.empty(),
                Optional.empty());
        BuiltEngine built = builder.build(spec, ProgressListener.silent());
        assertThat(built.plan()).isNotEmpty();
        // INT8 with these ranges: a few quantization steps of the output's range.
        assertMatchesOnnxRuntime(onnx, built, 1, 0.1);
    }

    /**
     * The default precision for a calibrated model: TensorRT builds the Q/DQ model that {@code calibrate} writes
     * as it stands, and the engine must compute what ONNX Runtime computes for the same Q/DQ graph.
     */
    @Test
    void explicitInt8BuildsOurQdqModel() throws Exception {
        assumeFastInt8();
        OnnxModel model = OnnxModel.of(TinyDetectors.convolutional(SIZE, NAMES, 7));
        QdqPlacement plan = QdqPlacement.plan(model, QdqOptions.of(QdqFormat.TENSORRT));
        Path onnx = save(model.proto(), "conv.onnx");
        Path quantized = save(QdqQuantizer.quantize(model, plan, ranges(onnx, plan.calibratedTensors())).proto(),
                "conv.int8.onnx");
        assertThat(QdqPlacement.quantizationNodes(OnnxModel.load(quantized, "<model>")))
                .containsKeys("QuantizeLinear", "DequantizeLinear");

        BuiltEngine built = builder.build(spec(quantized, Precision.INT8), ProgressListener.silent());
        assertThat(built.plan()).isNotEmpty();
        // Both sides quantize with the same scales; they differ by rounding ties and accumulation order only.
        assertMatchesOnnxRuntime(quantized, built, 1, 0.05);
    }

    private void assumeFastInt8() {
        String[] capability = environment.computeCapability().split("\\.");
        int major = Integer.parseInt(capability[0]);
        assumeTrue(major > 6 || major == 6 && Integer.parseInt(capability[1]) >= 1,
                "INT8 needs compute capability 6.1 or newer");
    }

    /** Each tensor's largest magnitude on one image: calibration ranges for a tiny model. */
    private static Map<String, Double> ranges(Path onnx, Set<String> tensors) throws Exception {
        float[] input = image(1, 3);
        Set<String> inner = new TreeSet<>(tensors);
        inner.remove("images");
        Map<String, Double> amax = new TreeMap<>();
        if (tensors.contains("images")) {
            amax.put("images", (double) maxAbs(input));
        }
        OrtRuns.run(OnnxModel.load(onnx, "<model>"), input, new long[] {1, 3, SIZE, SIZE}, inner)
                .forEach((tensor, values) -> amax.put(tensor, (double) maxAbs(values)));
        return amax;
    }

    @SuppressWarnings("try") // Detector.close() declares Exception
    private void assertMatchesOnnxRuntime(Path onnx, BuiltEngine built, int batch, double tolerance)
            throws Exception {
        Path plan = Files.write(dir.resolve(onnx.getFileName() + ".plan"), built.plan());
        YoloModelInfo info = info(onnx);
        float[] input = image(batch, 11);
        try (Detector engine = builder.open(FileSnapshot.read(plan), info);
                DetectorSession reference = DetectorSession.open(onnx, info, 1, "<model>")) {
            DetectorOutput actual = engine.run(input, batch);
            DetectorOutput expected = reference.run(input, batch);
            assertThat(actual.batch()).isEqualTo(batch);
            assertThat(actual.attributes()).isEqualTo(expected.attributes());
            assertThat(actual.anchors()).isEqualTo(expected.anchors());
            assertThat(actual.layout()).isEqualTo(expected.layout());
            assertThat(actual.data()).hasSameSizeAs(expected.data());
            double allowed = tolerance * Math.max(1, maxAbs(expected.data()));
            for (int i = 0; i < expected.data().length; i++) {
                assertThat((double) actual.data()[i]).as("value %d", i)
                        .isCloseTo(expected.data()[i], within(allowed));
            }
        }
    }

    private Path save(ModelProto proto, String name) throws IOException {
        Path file = dir.resolve(name);
        OnnxModel.of(proto).save(file);
        return file;
    }

    private static YoloModelInfo info(Path onnx) throws IOException {
        return YoloModelInspector.inspect(OnnxModel.load(onnx, "<model>"), "<model>", ModelOverrides.NONE);
    }

    private static EngineSpec spec(Path onnx, Precision precision) {
        return new EngineSpec(onnx, precision, Optional.empty(), 1L << 28, 3, Optional.empty(), Optional.empty());
    }

    private static EngineSpec withTimingCache(Path onnx, byte[] timingCache) {
        return new EngineSpec(onnx, Precision.FP32, Optional.empty(), 1L << 28, 3, Optional.empty(),
                Optional.of(timingCache));
    }

    /** Letterboxed-image-like input: values in [0, 1]. */
    private static float[] image(int batch, long seed) {
        Random random = new Random(seed);
        float[] values = new float[batch * 3 * SIZE * SIZE];
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextFloat();
        }
        return values;
    }

    private static float maxAbs(float[] values) {
        float max = 0;
        for (float value : values) {
            max = Math.max(max, Math.abs(value));
        }
        return max;
    }
}
