package io.github.yoloslim.quantize;

import io.github.yoloslim.cache.ArtifactNames;
import io.github.yoloslim.calibrate.CalibrateRequest;
import io.github.yoloslim.calibrate.Calibrator;
import io.github.yoloslim.calibrate.RangeMethod;
import io.github.yoloslim.data.Dataset;
import io.github.yoloslim.data.UnreadableImagePolicy;
import io.github.yoloslim.eval.DecodeSettings;
import io.github.yoloslim.eval.EvaluationSettings;
import io.github.yoloslim.eval.ModelEvaluation;
import io.github.yoloslim.eval.ModelEvaluator;
import io.github.yoloslim.onnx.ModelOverrides;
import io.github.yoloslim.progress.ProgressListener;
import io.github.yoloslim.testing.SharedData;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * mAP50-95 of the float yolov8n and of its INT8 models in every layout and encoding, on the pooled 208 images,
 * on this machine's CPU (whose INT8 flags it prints: without VNNI the full 8-bit {@code u8s8-vnni} weights
 * saturate ONNX Runtime's 16-bit pair sums). Calibrated with {@code mse} on {@code coco-tiny/train2017}. Run on
 * demand (see src/site/markdown/benchmarks.md), not as a test:
 *
 * <pre>mvn -B -q test-compile exec:java -Dexec.classpathScope=test \
 *   -Dexec.mainClass=io.github.yoloslim.quantize.EncodingAccuracyBenchmark -Dexec.args="../shared target/encodings"</pre>
 */
public final class EncodingAccuracyBenchmark {

    private EncodingAccuracyBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path shared = Path.of(args[0]);
        Path work = Files.createDirectories(Path.of(args[1]));
        Path model = shared.resolve("models/yolov8n.onnx");
        Dataset pooled = SharedData.pooled208(shared);
        int threads = Runtime.getRuntime().availableProcessors();
        ModelEvaluator evaluator = new ModelEvaluator(new EvaluationSettings(DecodeSettings.VALIDATION,
                ModelOverrides.NONE, threads, 0, UnreadableImagePolicy.SKIP), ProgressListener.silent());
        System.out.println("CPU flags: " + cpuFlags());
        System.out.printf(Locale.ROOT, "fp32: mAP50-95 %.4f%n", evaluator.evaluate(model, "<model>", "fp32", pooled)
                .stats().ap());
        List<QdqOptions> layouts = List.of(QdqOptions.of(QdqFormat.TENSORRT, Int8Encoding.S8S8),
                QdqOptions.of(QdqFormat.ORT, Int8Encoding.U8S8_7BIT), QdqOptions.of(QdqFormat.ORT, Int8Encoding.U8U8),
                QdqOptions.of(QdqFormat.ORT, Int8Encoding.U8S8_VNNI));
        for (QdqOptions layout : layouts) {
            Path output = work.resolve(layout.format().name().toLowerCase(Locale.ROOT) + "-" + layout.encoding().id());
            new Calibrator(ProgressListener.silent()).run(new CalibrateRequest(model, Optional.empty(),
                    shared.resolve("data/coco-tiny/train2017"), 0, RangeMethod.MSE, 99.99, layout, "10.15.1",
                    ModelOverrides.NONE, threads, 0, UnreadableImagePolicy.SKIP, output));
            ModelEvaluation evaluation = evaluator.evaluate(output.resolve(ArtifactNames.quantizedModel(model)),
                    "<model>", layout.encoding().id(), pooled);
            System.out.printf(Locale.ROOT, "%s layout, %s: mAP50-95 %.4f%n", layout.format().name()
                    .toLowerCase(Locale.ROOT), layout.encoding().id(), evaluation.stats().ap());
        }
    }

    private static String cpuFlags() throws Exception {
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            return lines.filter(line -> line.startsWith("flags")).flatMap(line -> Stream.of(line.split("\\s+")))
                    .filter(flag -> List.of("avx2", "avx512f", "avx512_vnni", "avx_vnni").contains(flag)).distinct()
                    .sorted().collect(Collectors.joining(" "));
        }
    }
}
