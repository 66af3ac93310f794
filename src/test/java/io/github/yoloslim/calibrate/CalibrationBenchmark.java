package io.github.yoloslim.calibrate;

import io.github.yoloslim.data.DecodeSchedule;
import io.github.yoloslim.data.ImageSelection;
import io.github.yoloslim.data.Letterbox;
import io.github.yoloslim.data.LetterboxFeed;
import io.github.yoloslim.data.UnreadableImagePolicy;
import io.github.yoloslim.onnx.ModelOverrides;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.onnx.YoloModelInfo;
import io.github.yoloslim.onnx.YoloModelInspector;
import io.github.yoloslim.progress.ProgressListener;
import io.github.yoloslim.quantize.QdqFormat;
import io.github.yoloslim.quantize.QdqOptions;
import io.github.yoloslim.runtime.DetectorSession;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Calibration time against plain FP32 inference over the same images (the target: at most 1.25×), on
 * the real yolov8n and coco-tiny/train2017. Each round times plain inference (decoding overlapped, as in
 * evaluation) and then a full calibration into a fresh folder (statistics, ranges, quantized model, cache and
 * report), both with all cores; prints every round, the ratio of the best times and the median and mean ratio.
 * A shared machine's speed swings by more than the difference being measured: run several rounds.
 *
 * <p>Run: {@code mvn -B -q test-compile exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=io.github.yoloslim.calibrate.CalibrationBenchmark -Dexec.args="../shared 5"}
 */
public final class CalibrationBenchmark {

    private CalibrationBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path shared = Path.of(args.length > 0 ? args[0] : "../shared");
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        Path model = shared.resolve("models/yolov8n.onnx");
        Path images = shared.resolve("data/coco-tiny/train2017");
        int threads = Runtime.getRuntime().availableProcessors();
        YoloModelInfo info = YoloModelInspector.inspect(OnnxModel.load(model, "<model>"), "<model>",
                ModelOverrides.NONE);
        List<Path> selected = ImageSelection.from(images, "calibrationImages", 0).images();
        double[] plain = new double[rounds];
        double[] calibration = new double[rounds];
        for (int round = 0; round < rounds; round++) {
            long start = System.nanoTime();
            try (DetectorSession session = DetectorSession.open(model, info, threads, "<model>");
                    LetterboxFeed<Path> feed = new LetterboxFeed<>(selected, path -> path,
                            new Letterbox(info.inputHeight(), info.inputWidth()), 1,
                            DecodeSchedule.betweenRuns(threads))) {
                while (feed.hasNext()) {
                    session.run(feed.next().pixels(), 1);
                }
            }
            plain[round] = (System.nanoTime() - start) / 1e9;

            Path output = Files.createTempDirectory("yolo-slim-calibration-bench");
            start = System.nanoTime();
            new Calibrator(ProgressListener.silent()).run(new CalibrateRequest(model, Optional.empty(), images, 0,
                    RangeMethod.MSE, 99.99, QdqOptions.of(QdqFormat.TENSORRT), "10.15.1", ModelOverrides.NONE,
                    threads, 0, UnreadableImagePolicy.SKIP, output));
            calibration[round] = (System.nanoTime() - start) / 1e9;
            delete(output);
            System.out.printf(Locale.ROOT, "round %d: plain inference %.2f s, calibration %.2f s (%.2f×)%n", round + 1,
                    plain[round], calibration[round], calibration[round] / plain[round]);
        }
        double[] ratios = new double[rounds];
        for (int round = 0; round < rounds; round++) {
            ratios[round] = calibration[round] / plain[round];
        }
        System.out.printf(Locale.ROOT, "%d images, %d threads: best plain %.2f s, best calibration %.2f s (%.2f×); "
                + "the rounds' ratios: median %.2f×, mean %.2f×%n", selected.size(), threads, min(plain),
                min(calibration), min(calibration) / min(plain), median(ratios),
                java.util.Arrays.stream(ratios).average().orElseThrow());
    }

    private static double min(double[] values) {
        return java.util.Arrays.stream(values).min().orElseThrow();
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        java.util.Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static void delete(Path folder) throws Exception {
        try (Stream<Path> walk = Files.walk(folder)) {
            for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
