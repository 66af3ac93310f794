package io.github.yoloslim.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.yoloslim.data.ImageDecoder;
import io.github.yoloslim.data.ImageSelection;
import io.github.yoloslim.data.Letterbox;
import io.github.yoloslim.data.UnreadableImagePolicy;
import io.github.yoloslim.onnx.ModelOverrides;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.onnx.YoloModelInspector;
import io.github.yoloslim.progress.ProgressListener;
import io.github.yoloslim.runtime.DetectorSession;

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The training runtime's cost on the real YOLOv8n, 2 threads: libtorch's load, a 640×640 forward pass against
 * ONNX Runtime (warm-up, then the median of 10 runs each, taking turns), and distillation steps at batch 4 and 8
 * with where their time goes and the peak resident memory. The student is the given pruned model, else the
 * teacher itself. Run on demand (see src/site/markdown/benchmarks.md), not as a test:
 *
 * <pre>mvn -B -q test-compile exec:java -Dexec.classpathScope=test \
 *   -Dexec.mainClass=io.github.yoloslim.train.TrainingBenchmark -Dexec.args="../shared [student.onnx]"</pre>
 */
public final class TrainingBenchmark {

    private static final int THREADS = 2;
    private static final int RUNS = 10;

    private TrainingBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path shared = Path.of(args.length > 0 ? args[0] : "../shared");
        Path teacherFile = shared.resolve("models/yolov8n.onnx");
        OnnxModel teacher = OnnxModel.load(teacherFile, "<model>");
        OnnxModel student = args.length > 1 ? OnnxModel.load(Path.of(args[1]), "<student>") : teacher;

        long before = residentKb("VmRSS");
        TorchEngine.get();
        TorchEngine.setThreads(THREADS);
        System.out.printf(Locale.ROOT, "libtorch load %.2f s, resident memory %d MB -> %d MB (%s)%n",
                TorchEngine.loadSeconds(), before / 1024, residentKb("VmRSS") / 1024, TorchEngine.libtorchPath());

        float[] image = new float[3 * 640 * 640];
        new Letterbox(640).apply(ImageDecoder.decode(shared.resolve("data/samples/bus.jpg")), image, 0);
        double[] ort = new double[RUNS];
        double[] djl = new double[RUNS];
        try (DetectorSession session = DetectorSession.open(teacherFile, YoloModelInspector.inspect(teacher,
                "<model>", ModelOverrides.NONE), THREADS, "<model>");
                NDManager manager = TorchEngine.newManager(TorchEngine.resolve(TrainingDevice.CPU));
                TrainableGraph graph = TrainableGraph.load(teacher, java.util.Set.of(), manager, "<model>")) {
            for (int i = -3; i < RUNS; i++) {
                long t0 = System.nanoTime();
                session.run(image, 1);
                long t1 = System.nanoTime();
                try (NDManager run = manager.newSubManager()) {
                    NDArray input = run.create(FloatBuffer.wrap(image), new Shape(1, 3, 640, 640));
                    graph.run(run, input, List.of("output0")).get("output0").toFloatArray();
                }
                long t2 = System.nanoTime();
                if (i >= 0) {
                    ort[i] = (t1 - t0) / 1e6;
                    djl[i] = (t2 - t1) / 1e6;
                }
            }
        }
        System.out.printf(Locale.ROOT, "forward 640x640, batch 1: ONNX Runtime %.0f ms, libtorch %.0f ms (medians "
                + "of %d)%n", median(ort), median(djl), RUNS);

        List<Path> images = ImageSelection.from(shared.resolve("data/coco-unlabeled/images"), "trainingImages", 0)
                .images();
        for (int batch : new int[] {4, 8}) {
            DistillationSettings settings = new DistillationSettings(1, batch, 640, 1e-4, 0, 0.1, 0, 1,
                    new LossWeights(1, 1, 0, 1), Augmentation.NONE, TrainingDevice.CPU, THREADS);
            DistillationResult result = new Distiller(ProgressListener.silent()).run(new DistillationRequest(teacher,
                    student, images.subList(0, 3 * batch), images.get(0).getParent(), UnreadableImagePolicy.SKIP,
                    settings, Optional.empty()));
            DistillationResult.StepTime time = result.time();
            int steps = result.steps();
            System.out.printf(Locale.ROOT, "batch %d, 640x640: %.1f s per step (%.2f images/s): images %.2f s, "
                    + "teacher %.2f s, student forward %.2f s, backward %.2f s, update %.2f s; peak resident %d MB%n",
                    batch, result.seconds() / steps, result.imagesPerSecond(), time.images() / steps,
                    time.teacher() / steps, time.studentForward() / steps, time.backward() / steps,
                    time.update() / steps, residentKb("VmHWM") / 1024);
        }
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static long residentKb(String field) throws java.io.IOException {
        return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith(field + ":"))
                .mapToLong(l -> Long.parseLong(l.replaceAll("\\D", ""))).findFirst().orElse(-1);
    }
}
