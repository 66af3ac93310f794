package io.github.yoloslim.quantize;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.github.yoloslim.data.ImageDecoder;
import io.github.yoloslim.data.Letterbox;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.runtime.DetectorSession;

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * CPU latency of the float YOLOv8n against its QDQ layouts (the ONNX Runtime one in each encoding) in ONNX Runtime: one 640×640 image, 2 threads,
 * warm-up then the median of 30 runs each, the models taking turns. Also prints which operators ONNX Runtime's optimised graph of each
 * layout holds, to see what it fused. Run on demand (see src/site/markdown/benchmarks.md), not as a test:
 *
 * <pre>mvn -B -q test-compile exec:java -Dexec.classpathScope=test \
 *   -Dexec.mainClass=io.github.yoloslim.quantize.QdqLatencyBenchmark -Dexec.args="../shared target/bench"</pre>
 */
public final class QdqLatencyBenchmark {

    private static final int THREADS = 2;
    private static final int WARM_UP = 5;
    private static final int RUNS = 30;

    private QdqLatencyBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path shared = Path.of(args.length > 0 ? args[0] : "../shared");
        Path work = Path.of(args.length > 1 ? args[1] : "target/bench");
        Files.createDirectories(work);
        OnnxModel model = OnnxModel.load(shared.resolve("models/yolov8n.onnx"), "<model>");
        Letterbox letterbox = new Letterbox(640);
        List<float[]> images = new ArrayList<>();
        try (Stream<Path> files = Files.list(shared.resolve("data/coco-tiny/train2017"))) {
            for (Path file : files.sorted().limit(4).toList()) {
                float[] input = new float[letterbox.inputLength()];
                letterbox.apply(ImageDecoder.decode(file), input, 0);
                images.add(input);
            }
        }
        long[] shape = {1, 3, 640, 640};
        Map<String, QdqPlacement> plans = new LinkedHashMap<>();
        plans.put("TRT-layout QDQ", QdqPlacement.plan(model, QdqOptions.of(QdqFormat.TENSORRT)));
        for (Int8Encoding encoding : List.of(Int8Encoding.U8S8_7BIT, Int8Encoding.U8U8, Int8Encoding.U8S8_VNNI)) {
            plans.put("ORT " + encoding.id(), QdqPlacement.plan(model, QdqOptions.of(QdqFormat.ORT, encoding)));
        }
        Set<String> tensors = new TreeSet<>();
        plans.values().forEach(plan -> tensors.addAll(plan.calibratedTensors()));
        Map<String, Double> amax = ActivationRanges.maxAbs(model, tensors, images, shape);

        Map<String, OnnxModel> models = new LinkedHashMap<>();
        models.put("FP32", model);
        plans.forEach((name, plan) -> models.put(name, QdqQuantizer.quantize(model, plan, amax)));
        Map<String, OrtSession> sessions = new LinkedHashMap<>();
        try (OnnxTensor tensor = OnnxTensor.createTensor(DetectorSession.environment(),
                FloatBuffer.wrap(images.get(0)), shape)) {
            for (Map.Entry<String, OnnxModel> entry : models.entrySet()) {
                String file = entry.getKey().replaceAll("\\W+", "-");
                entry.getValue().save(work.resolve(file + ".onnx"));
                Path optimized = work.resolve(file + ".optimized.onnx");
                sessions.put(entry.getKey(), session(entry.getValue(), optimized));
                System.out.printf("%-16s optimised graph: %s%n", entry.getKey(), opCounts(optimized));
            }
            // Round robin, so that a slow spell of a shared machine hits every model alike.
            Map<String, double[]> times = new LinkedHashMap<>();
            sessions.keySet().forEach(name -> times.put(name, new double[RUNS]));
            for (int i = -WARM_UP; i < RUNS; i++) {
                for (Map.Entry<String, OrtSession> entry : sessions.entrySet()) {
                    OrtSession session = entry.getValue();
                    long start = System.nanoTime();
                    session.run(Map.of(session.getInputNames().iterator().next(), tensor)).close();
                    if (i >= 0) {
                        times.get(entry.getKey())[i] = (System.nanoTime() - start) / 1e6;
                    }
                }
            }
            double fp32 = median(times.get("FP32"));
            times.forEach((name, t) -> System.out.printf("%-16s median %7.2f ms  (min %7.2f)  %5.2fx FP32 speed%n",
                    name, median(t), Arrays.stream(t).min().orElseThrow(), fp32 / median(t)));
        } finally {
            for (OrtSession session : sessions.values()) {
                session.close();
            }
        }
    }

    private static OrtSession session(OnnxModel model, Path optimized) throws OrtException {
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            options.setIntraOpNumThreads(THREADS);
            options.setInterOpNumThreads(1);
            options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            options.setOptimizedModelFilePath(optimized.toString());
            return DetectorSession.environment().createSession(model.toBytes(), options);
        }
    }

    private static double median(double[] times) {
        double[] sorted = times.clone();
        Arrays.sort(sorted);
        return (sorted[(sorted.length - 1) / 2] + sorted[sorted.length / 2]) / 2;
    }

    private static String opCounts(Path optimized) throws java.io.IOException {
        ModelProto proto = ModelProto.parseFrom(Files.readAllBytes(optimized));
        return proto.getGraph().getNodeList().stream()
                .collect(Collectors.groupingBy(NodeProto::getOpType, TreeMap::new, Collectors.counting())).toString();
    }
}
