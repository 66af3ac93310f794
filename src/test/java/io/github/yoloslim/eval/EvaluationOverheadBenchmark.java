package io.github.yoloslim.eval;

import io.github.yoloslim.cache.FileSnapshot;
import io.github.yoloslim.data.Dataset;
import io.github.yoloslim.data.DatasetImage;
import io.github.yoloslim.data.DatasetLoader;
import io.github.yoloslim.data.ImageDecoder;
import io.github.yoloslim.data.Letterbox;
import io.github.yoloslim.data.UnreadableImagePolicy;
import io.github.yoloslim.onnx.ModelOverrides;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.onnx.YoloModelInfo;
import io.github.yoloslim.onnx.YoloModelInspector;
import io.github.yoloslim.progress.ProgressListener;
import io.github.yoloslim.runtime.DetectorOutput;
import io.github.yoloslim.runtime.DetectorSession;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What verify-map's evaluation pipeline costs on top of the model: the whole {@link ModelEvaluator} run (decode,
 * letterbox, inference, box decoding and NMS, COCO evaluation) against ONNX Runtime's {@code run} calls alone on
 * the same letterboxed batches, with verify-map's defaults (batch, threads, multi-label decoding). The two take
 * turns for several rounds and the medians are compared, as is the median of each round's ratio (which a shared
 * machine's slow spells, lasting a round or two, disturb less). Also prints where the rest of the time goes, each part
 * timed on its own on one thread. Run on demand, not as a test:
 *
 * <pre>mvn -B -q test-compile exec:java -Dexec.classpathScope=test \
 *   -Dexec.mainClass=io.github.yoloslim.eval.EvaluationOverheadBenchmark \
 *   -Dexec.args="../shared data/coco-tiny/val2017 80 3"</pre>
 *
 * Arguments: the shared folder, the COCO images folder under it, how many images, how many rounds.
 */
public final class EvaluationOverheadBenchmark {

    private EvaluationOverheadBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path shared = Path.of(args.length > 0 ? args[0] : "../shared");
        Path images = shared.resolve(args.length > 1 ? args[1] : "data/coco-tiny/val2017");
        int maxImages = args.length > 2 ? Integer.parseInt(args[2]) : 80;
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        Path modelFile = shared.resolve("models/yolov8n.onnx");

        Dataset dataset = DatasetLoader.load(images, null, null, maxImages).dataset();
        EvaluationSettings settings = new EvaluationSettings(new DecodeSettings(0.001, 0.7, 300, true),
                ModelOverrides.NONE, 0, 0, UnreadableImagePolicy.FAIL);
        FileSnapshot snapshot = OnnxModel.read(modelFile, "<model>");
        OnnxModel onnx = OnnxModel.parse(snapshot, "<model>");
        YoloModelInfo info = YoloModelInspector.inspect(onnx, "<model>", ModelOverrides.NONE);
        Letterbox letterbox = new Letterbox(info.inputHeight(), info.inputWidth());
        ModelEvaluator evaluator = new ModelEvaluator(settings, ProgressListener.silent());

        try (DetectorSession session = DetectorSession.open(snapshot, info, settings.threadCount(), "<model>")) {
            int batch = session.batchCapacity(settings.preferredBatch());
            long start = System.nanoTime();
            List<float[]> batches = letterboxedBatches(dataset, letterbox, batch);
            double letterboxSeconds = seconds(start);
            System.out.printf("%s: %d images, batch %d, %d threads, %d rounds%n", images, dataset.images().size(),
                    batch, settings.threadCount(), rounds);
            evaluator.evaluate(snapshot, onnx, "<model>", "warm-up", dataset);
            runAll(session, batches, batch, dataset.images().size(), null);

            double[] raw = new double[rounds];
            double[] pipeline = new double[rounds];
            for (int round = 0; round < rounds; round++) {
                start = System.nanoTime();
                runAll(session, batches, batch, dataset.images().size(), null);
                raw[round] = seconds(start);
                start = System.nanoTime();
                evaluator.evaluate(snapshot, onnx, "<model>", "candidate", dataset);
                pipeline[round] = seconds(start);
                System.out.printf("  round %d: inference alone %.2f s, whole evaluation %.2f s (%.3fx)%n", round + 1,
                        raw[round], pipeline[round], pipeline[round] / raw[round]);
            }
            double rawMedian = median(raw);
            double pipelineMedian = median(pipeline);
            double[] ratios = new double[rounds];
            Arrays.setAll(ratios, round -> pipeline[round] / raw[round]);
            System.out.printf("median: inference alone %.2f s (%.1f images/s), whole evaluation %.2f s: %.3fx; "
                    + "median of the rounds' ratios %.3fx%n", rawMedian, dataset.images().size() / rawMedian,
                    pipelineMedian, pipelineMedian / rawMedian, median(ratios));

            // Kept only now: 80 images' raw outputs are about 230 MB, which the rounds must not carry.
            List<DetectorOutput> outputs = new ArrayList<>();
            runAll(session, batches, batch, dataset.images().size(), outputs);
            YoloDecoder decoder = new YoloDecoder(settings.decode(), info.numClasses());
            start = System.nanoTime();
            int candidates = 0;
            for (DetectorOutput output : outputs) {
                for (int b = 0; b < output.batch(); b++) {
                    candidates += decoder.decode(output, b).size();
                }
            }
            double decodeSeconds = seconds(start);
            List<Detection> detections = evaluator.detect(modelFile, "<model>", dataset);
            long[] ids = dataset.images().stream().mapToLong(DatasetImage::id).sorted().toArray();
            start = System.nanoTime();
            new CocoEvaluator(settings.threadCount()).evaluate(dataset.categories(), ids, dataset.annotations(),
                    detections);
            double cocoSeconds = seconds(start);
            System.out.printf("on one thread, outside the pipeline: image decode + letterbox %.2f s, box decoding + NMS"
                    + " %.2f s (%d boxes); COCO evaluation %.2f s on %d threads%n", letterboxSeconds, decodeSeconds,
                    candidates, cocoSeconds, settings.threadCount());
        }
    }

    private static List<float[]> letterboxedBatches(Dataset dataset, Letterbox letterbox, int batch)
            throws Exception {
        List<float[]> batches = new ArrayList<>();
        List<DatasetImage> images = dataset.images();
        for (int first = 0; first < images.size(); first += batch) {
            float[] pixels = new float[batch * letterbox.inputLength()];
            for (int i = first; i < Math.min(images.size(), first + batch); i++) {
                letterbox.apply(ImageDecoder.decode(images.get(i).file()), pixels, (i - first) * letterbox.inputLength());
            }
            batches.add(pixels);
        }
        return batches;
    }

    private static void runAll(DetectorSession session, List<float[]> batches, int batch, int images,
            List<DetectorOutput> keep) throws Exception {
        for (int i = 0; i < batches.size(); i++) {
            DetectorOutput output = session.run(batches.get(i), Math.min(batch, images - i * batch));
            if (keep != null) {
                keep.add(output);
            }
        }
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static double seconds(long start) {
        return (System.nanoTime() - start) / 1e9;
    }
}
