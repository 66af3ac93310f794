package io.github.yoloslim.quantize;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnxruntime.OrtSession;
import io.github.yoloslim.data.Category;
import io.github.yoloslim.data.Dataset;
import io.github.yoloslim.data.DatasetFormat;
import io.github.yoloslim.data.DatasetImage;
import io.github.yoloslim.data.ImageDecoder;
import io.github.yoloslim.data.Letterbox;
import io.github.yoloslim.data.UnreadableImagePolicy;
import io.github.yoloslim.eval.DecodeSettings;
import io.github.yoloslim.eval.Detection;
import io.github.yoloslim.eval.EvaluationSettings;
import io.github.yoloslim.eval.ModelEvaluator;
import io.github.yoloslim.onnx.ModelOverrides;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.progress.ProgressListener;
import io.github.yoloslim.quantize.QdqPlacement.FloatNode;
import io.github.yoloslim.runtime.DetectorSession;
import io.github.yoloslim.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Placement and quantization of the real YOLOv8n (skipped where ../shared is absent). */
class RealModelQuantizationTest {

    private static OnnxModel yolov8n() throws Exception {
        return OnnxModel.load(SharedData.require("models/yolov8n.onnx"), "<model>");
    }

    @Test
    void everyConvButTheDflIsQuantizedAndTheDecodeStaysFloat() throws Exception {
        OnnxModel model = yolov8n();
        QdqPlacement trt = QdqPlacement.plan(model, QdqOptions.of(QdqFormat.TENSORRT));
        QdqPlacement ort = QdqPlacement.plan(model, QdqOptions.of(QdqFormat.ORT));
        for (QdqPlacement plan : List.of(trt, ort)) {
            // 64 Convs: backbone, neck and the head's branches (their last box/class Convs included), not the DFL.
            assertThat(plan.quantizedConvs()).hasSize(63).doesNotContain("/model.22/dfl/conv/Conv")
                    .contains("/model.0/conv/Conv", "/model.22/cv2.0/cv2.0.2/Conv", "/model.22/cv3.2/cv3.2.2/Conv");
            assertThat(plan.floatNodes()).hasSize(24).extracting(FloatNode::reason).containsOnly("head decode");
            assertThat(plan.floatNodes()).extracting(FloatNode::name)
                    .allMatch(name -> name.startsWith("/model.22/") && !name.contains("/cv"))
                    .contains("/model.22/Concat", "/model.22/Concat_1", "/model.22/dfl/Reshape",
                            "/model.22/dfl/Transpose", "/model.22/dfl/Softmax", "/model.22/dfl/conv/Conv",
                            "/model.22/Sigmoid", "/model.22/Sub", "/model.22/Div_1", "/model.22/Mul_2",
                            "/model.22/Concat_3");
            assertThat(plan.groupOf()).hasSize(212).doesNotContainKey("/model.22/cv2.0/cv2.0.2/Conv_output_0")
                    .containsKeys("images", "/model.9/m_2/MaxPool_output_0");
        }
        // TensorRT layout: the 63 Conv inputs (60 distinct tensors) and the 6 residual Adds' inputs.
        assertThat(trt.quantizedTensors()).hasSize(64);
        assertThat(trt.calibratedTensors()).hasSize(98);
        assertThat(trt.calibratedTensors().stream().map(trt.groupOf()::get).distinct()).hasSize(50);
        // ONNX Runtime layout: everything the quantized part reads.
        assertThat(ort.quantizedTensors()).isEqualTo(ort.groupOf().keySet());
        assertThat(ort.calibratedTensors().stream().map(ort.groupOf()::get).distinct()).hasSize(164);
        // SPPF: the three MaxPools and their Concat share one scale with the Conv output they pool.
        assertThat(Stream.of("/model.9/m/MaxPool_output_0", "/model.9/m_1/MaxPool_output_0",
                "/model.9/m_2/MaxPool_output_0", "/model.9/Concat_output_0").map(ort.groupOf()::get))
                .containsOnly("/model.9/cv1/act/Mul_output_0");
    }

    /** Every layout and portable encoding, so the test holds on AVX2-only CPUs as on VNNI ones. */
    @Test
    void bothLayoutsStillFindTheBusAndFourPersons(@TempDir Path dir) throws Exception {
        OnnxModel model = yolov8n();
        Path bus = SharedData.require("data/samples/bus.jpg");
        List<QdqPlacement> plans = new ArrayList<>();
        for (QdqOptions options : QdqQuantizerTest.PORTABLE) {
            plans.add(QdqPlacement.plan(model, options));
        }
        Set<String> tensors = new TreeSet<>();
        plans.forEach(plan -> tensors.addAll(plan.calibratedTensors()));
        Map<String, Double> amax = ActivationRanges.maxAbs(model, tensors, calibrationImages(2),
                new long[] {1, 3, 640, 640});

        List<Category> coco = SharedData.cocoCategories();
        Dataset dataset = new Dataset("bus", DatasetFormat.COCO, List.of(new DatasetImage(1, bus, 554, 740)), coco,
                List.of());
        EvaluationSettings settings = new EvaluationSettings(new DecodeSettings(0.25, 0.7, 300, false),
                ModelOverrides.NONE, 0, 0, UnreadableImagePolicy.FAIL);
        Map<String, Integer> ids = coco.stream().collect(Collectors.toMap(Category::name, Category::id));
        for (QdqPlacement plan : plans) {
            OnnxModel quantized = QdqQuantizer.quantize(model, plan, amax);
            assertThat(QdqQuantizer.quantize(model, plan, amax).toBytes()).isEqualTo(quantized.toBytes());
            assertThat(KernelPairSums.largestU8S8PairSum(quantized)).as("%s", plan.encoding())
                    .isLessThanOrEqualTo(KernelPairSums.INT16_MAX);
            Path file = dir.resolve(plan.format() + "-" + plan.encoding().id() + ".onnx");
            quantized.save(file);
            List<Detection> detections = new ModelEvaluator(settings, ProgressListener.silent())
                    .detect(file, "<model>", dataset);
            Map<Integer, Long> perCategory = detections.stream()
                    .collect(Collectors.groupingBy(Detection::categoryId, Collectors.counting()));
            assertThat(perCategory).as("%s %s", plan.format(), plan.encoding())
                    .containsEntry(ids.get("person"), 4L).containsEntry(ids.get("bus"), 1L);
        }
    }

    /** The full 8-bit grid forms pair sums past 16 bits in yolov8n: why it is VNNI-only. */
    @Test
    void vnniOnlyEncodingOverflowsSixteenBitPairsOnTheRealModel() throws Exception {
        OnnxModel model = yolov8n();
        QdqPlacement plan = QdqPlacement.plan(model, QdqOptions.of(QdqFormat.ORT, Int8Encoding.U8S8_VNNI));
        Map<String, Double> amax = new HashMap<>();
        plan.calibratedTensors().forEach(tensor -> amax.put(tensor, 4.0));
        assertThat(KernelPairSums.largestU8S8PairSum(QdqQuantizer.quantize(model, plan, amax)))
                .isGreaterThan(KernelPairSums.INT16_MAX);
    }

    /**
     * ONNX Runtime turns the ONNX Runtime layout into INT8 kernels: every Conv outside the head's float part becomes
     * a QLinearConv, every SiLU a QLinearSigmoid and a QLinearMul. Read from the optimised graph it writes (at the
     * extended level, which does the QDQ fusion but no hardware-specific layout changes).
     */
    @Test
    void onnxRuntimeFusesTheOrtLayoutIntoInt8Kernels(@TempDir Path dir) throws Exception {
        OnnxModel model = yolov8n();
        QdqPlacement plan = QdqPlacement.plan(model, QdqOptions.of(QdqFormat.ORT));
        Map<String, Double> amax = new HashMap<>();
        plan.calibratedTensors().forEach(tensor -> amax.put(tensor, 4.0));
        Path optimized = dir.resolve("optimized.onnx");
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.EXTENDED_OPT);
            options.setOptimizedModelFilePath(optimized.toString());
            DetectorSession.environment().createSession(QdqQuantizer.quantize(model, plan, amax).toBytes(), options)
                    .close();
        }
        Map<String, Long> ops = OnnxModel.load(optimized, "<model>").graph().getNodeList().stream()
                .collect(Collectors.groupingBy(NodeProto::getOpType, Collectors.counting()));
        // 63 quantized Convs, of which the head's last six write float for the decode: 57 fuse.
        assertThat(ops).containsEntry("QLinearConv", 57L).containsEntry("QLinearSigmoid", 57L)
                .containsEntry("QLinearMul", 57L).containsEntry("QLinearAdd", 6L).containsEntry("QLinearConcat", 13L)
                .containsEntry("Conv", 7L);
    }

    private static List<float[]> calibrationImages(int count) throws Exception {
        Letterbox letterbox = new Letterbox(640);
        List<float[]> images = new ArrayList<>();
        try (Stream<Path> files = Files.list(SharedData.require("data/coco-tiny/train2017"))) {
            for (Path file : files.sorted().limit(count).toList()) {
                float[] input = new float[letterbox.inputLength()];
                letterbox.apply(ImageDecoder.decode(file), input, 0);
                images.add(input);
            }
        }
        return images;
    }
}
