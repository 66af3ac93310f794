package io.github.yoloslim.quantize;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.onnx.GraphView;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.testing.GraphBuilder;
import io.github.yoloslim.testing.OrtRuns;
import io.github.yoloslim.testing.TinyDetectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class QdqQuantizerTest {

    private static final String M0 = "/model.0/act/Mul_output_0";

    /** The layouts with the encodings that are exact on every x86-64 CPU, VNNI or not. */
    static final List<QdqOptions> PORTABLE = List.of(QdqOptions.of(QdqFormat.TENSORRT),
            QdqOptions.of(QdqFormat.ORT, Int8Encoding.U8S8_7BIT), QdqOptions.of(QdqFormat.ORT, Int8Encoding.U8U8));

    static Stream<Arguments> graphs() {
        Map<String, Supplier<OnnxModel>> graphs = Map.of("SiLU chain", SampleGraphs::siluChain,
                "residual Add", SampleGraphs::residual, "Concat", SampleGraphs::concat,
                "MaxPool/Resize", SampleGraphs::poolResize);
        return graphs.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .map(graph -> Arguments.of(graph.getKey(), graph.getValue()));
    }

    static Stream<Arguments> graphsAndOptions() {
        return graphs().flatMap(graph -> PORTABLE.stream()
                .map(options -> Arguments.of(graph.get()[0], graph.get()[1], options)));
    }

    private static float[] input(long seed) {
        Random random = new Random(seed);
        float[] input = new float[(int) Arrays.stream(SampleGraphs.INPUT_SHAPE).reduce(1, (a, b) -> a * b)];
        for (int i = 0; i < input.length; i++) {
            input[i] = random.nextFloat();
        }
        return input;
    }

    private static Set<String> allTensors(OnnxModel model) {
        Set<String> tensors = new HashSet<>();
        model.graphView().realInputs().forEach(v -> tensors.add(v.getName()));
        model.graph().getNodeList().forEach(n -> tensors.addAll(n.getOutputList()));
        return tensors;
    }

    /**
     * ONNX Runtime runs the quantized model, and its output differs from the float model's by more than zero (it is
     * quantized) but within two limits, amax being max |x| on the very input so that nothing clips:
     * <ul>
     *   <li>the worst case that {@link QuantizationErrorBound} derives from the model's own scales and weights;</li>
     *   <li>2% of the output's range. Each quantized tensor adds at most half a step, amax/254 ≈ 0.4% of its range;
     *       independent roundings add up in quadrature, so the at most 8 quantization points on a path of these
     *       graphs give about √8 × 0.4% ≈ 1.1% (the worst case above sums them linearly and compounds them through
     *       the layers, which is far looser on the deeper graphs). A wrong scale, axis or zero point costs tens of
     *       percent.</li>
     * </ul>
     * Both hold on every x86-64 CPU for these encodings: none can saturate ONNX Runtime's 16-bit U8S8 kernels
     * (AVX2 and AVX-512 without VNNI), which {@code u8s8-vnni} does (it is not run here for that reason).
     */
    @ParameterizedTest(name = "{0}, {2}")
    @MethodSource("graphsAndOptions")
    void outputStaysWithinQuantizationError(String name, Supplier<OnnxModel> graph, QdqOptions options)
            throws Exception {
        OnnxModel model = graph.get();
        float[] input = input(11);
        Map<String, Double> maxAbs = ActivationRanges.maxAbs(model, allTensors(model), List.of(input),
                SampleGraphs.INPUT_SHAPE);
        QdqPlacement plan = QdqPlacement.plan(model, options);
        OnnxModel quantized = QdqQuantizer.quantize(model, plan, maxAbs);

        float[] expected = OrtRuns.run(model, input, SampleGraphs.INPUT_SHAPE);
        float[] actual = OrtRuns.run(quantized, input, SampleGraphs.INPUT_SHAPE);
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
        }
        double bound = QuantizationErrorBound.of(model, quantized, maxAbs);
        double outputRange = maxAbs.get(model.graph().getOutput(0).getName());
        assertThat(worst).as("error").isPositive()
                .isLessThanOrEqualTo(bound * 1.001 + 1e-6)
                .isLessThanOrEqualTo(0.02 * outputRange);
    }

    @ParameterizedTest
    @EnumSource(QdqFormat.class)
    void qdqPairIsSharedAndPlacedAfterItsProducer(QdqFormat format) {
        OnnxModel model = SampleGraphs.residual();
        QdqPlacement plan = QdqPlacement.plan(model, QdqOptions.of(format));
        OnnxModel quantized = QdqQuantizer.quantize(model, plan, amax(plan, 3.0));
        List<NodeProto> nodes = quantized.graph().getNodeList();
        List<String> names = nodes.stream().map(NodeProto::getName).toList();
        int mul = names.indexOf("/model.0/act/Mul");
        assertThat(names.subList(mul + 1, mul + 3))
                .containsExactly(M0 + "_QuantizeLinear", M0 + "_DequantizeLinear");
        // The skip branch of the Add and the next Conv both read the one dequantized tensor.
        assertThat(nodes.stream().filter(n -> n.getInputList().contains(M0 + "_dequantized")).map(NodeProto::getName))
                .containsExactly("/model.1/m.0/cv1/conv", "/model.1/m.0/Add");
        assertThat(nodes.stream().filter(n -> n.getOpType().equals("QuantizeLinear")).count())
                .isEqualTo(plan.quantizedTensors().size());
    }

    @Test
    void weightsArePerChannelInt8WithFloatBiasForTensorRt() {
        OnnxModel model = SampleGraphs.siluChain();
        QdqPlacement plan = QdqPlacement.plan(model, QdqOptions.of(QdqFormat.TENSORRT));
        GraphView quantized = QdqQuantizer.quantize(model, plan, amax(plan, 2.0)).graphView();
        float[] w = GraphView.floats(model.graphView().initializer("/model.0/conv.weight").orElseThrow());
        TensorProto q = quantized.initializer("/model.0/conv.weight_quantized").orElseThrow();
        float[] scales = GraphView.floats(quantized.initializer("/model.0/conv.weight_scale").orElseThrow());
        assertThat(q.getDataType()).isEqualTo(TensorProto.DataType.INT8_VALUE);
        assertThat(q.getDimsList()).containsExactly(8L, 3L, 3L, 3L);
        assertThat(scales).hasSize(8);
        byte[] values = q.getRawData().toByteArray();
        for (int c = 0; c < 8; c++) {
            float max = 0;
            for (int k = c * 27; k < (c + 1) * 27; k++) {
                max = Math.max(max, Math.abs(w[k]));
            }
            assertThat(scales[c]).isEqualTo(max / 127);
            for (int k = c * 27; k < (c + 1) * 27; k++) {
                assertThat(values[k]).isEqualTo((byte) Math.rint(w[k] / scales[c]));
            }
        }
        NodeProto dq = quantized.producer("/model.0/conv.weight_dequantized").orElseThrow();
        assertThat(dq.getAttributeList()).singleElement()
                .satisfies(a -> assertThat(a.getName() + "=" + a.getI()).isEqualTo("axis=0"));
        assertThat(quantized.initializer("/model.0/conv.weight")).isEmpty();
        assertThat(quantized.consumers("/model.0/conv.bias")).singleElement()
                .satisfies(n -> assertThat(n.getName()).isEqualTo("/model.0/conv"));
        assertThat(quantized.initializer(M0 + "_zero_point").orElseThrow().getDataType())
                .isEqualTo(TensorProto.DataType.INT8_VALUE);
    }

    @Test
    void ortLayoutHasInt32BiasAtInputTimesWeightScaleAndUint8Activations() {
        OnnxModel model = SampleGraphs.siluChain();
        QdqPlacement plan = QdqPlacement.plan(model, QdqOptions.of(QdqFormat.ORT));
        GraphView quantized = QdqQuantizer.quantize(model, plan, amax(plan, 2.54)).graphView();
        float inputScale = scalar(quantized.initializer("images_scale").orElseThrow());
        assertThat(inputScale).isEqualTo((float) (2.54 / 127));
        float[] b = GraphView.floats(model.graphView().initializer("/model.0/conv.bias").orElseThrow());
        float[] weightScales = GraphView.floats(quantized.initializer("/model.0/conv.weight_scale").orElseThrow());
        float[] biasScales = GraphView.floats(quantized.initializer("/model.0/conv.bias_scale").orElseThrow());
        TensorProto qb = quantized.initializer("/model.0/conv.bias_quantized").orElseThrow();
        assertThat(qb.getDataType()).isEqualTo(TensorProto.DataType.INT32_VALUE);
        ByteBuffer raw = qb.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        for (int c = 0; c < b.length; c++) {
            assertThat(biasScales[c]).isEqualTo(inputScale * weightScales[c]);
            assertThat(raw.getInt(c * 4)).isEqualTo((int) Math.rint(b[c] / biasScales[c]));
        }
        TensorProto zero = quantized.initializer("images_zero_point").orElseThrow();
        assertThat(zero.getDataType()).isEqualTo(TensorProto.DataType.UINT8_VALUE);
        assertThat(zero.getRawData().byteAt(0) & 0xff).isEqualTo(128);
    }

    @Test
    void allZeroWeightChannelsGetATinyPositiveScale() {
        GraphBuilder g = new GraphBuilder(9);
        String y = g.conv("/model.0/conv", g.input("images", 3, 8), 3, 2, 1);
        OnnxModel model = g.output(y, 1, 2, 8, 8).build(17);
        var builder = model.proto().toBuilder();
        var graph = builder.getGraphBuilder();
        for (int i = 0; i < graph.getInitializerCount(); i++) {
            if (graph.getInitializer(i).getName().equals("/model.0/conv.weight")) {
                graph.setInitializer(i, TinyDetectors.floats("/model.0/conv.weight",
                        new float[] {0, 0, 0, 0.5f, -1, 0.25f}, 2, 3, 1, 1));
            }
        }
        OnnxModel pruned = OnnxModel.of(builder.build());
        for (QdqOptions options : PORTABLE) {
            QdqPlacement plan = QdqPlacement.plan(pruned, options);
            GraphView quantized = QdqQuantizer.quantize(pruned, plan, amax(plan, 1.0)).graphView();
            float[] scales = GraphView.floats(quantized.initializer("/model.0/conv.weight_scale").orElseThrow());
            assertThat(scales[0]).as("%s", options).isPositive().isLessThan(1e-6f);
            assertThat(scales[1]).isEqualTo(1f / options.encoding().weightMax());
            if (options.format() == QdqFormat.ORT) {
                // The zero channel's scale is raised just enough that its float bias still fits in INT32.
                float bias = GraphView.floats(pruned.graphView().initializer("/model.0/conv.bias").orElseThrow())[0];
                float biasScale = GraphView.floats(quantized.initializer("/model.0/conv.bias_scale").orElseThrow())[0];
                assertThat((double) Math.abs(bias) / biasScale).isLessThanOrEqualTo(Integer.MAX_VALUE);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = Int8Encoding.class, names = {"U8S8_7BIT", "U8U8", "U8S8_VNNI"})
    void ortWeightsAreStoredAsTheEncodingSays(Int8Encoding encoding) {
        OnnxModel model = SampleGraphs.siluChain();
        QdqPlacement plan = QdqPlacement.plan(model, QdqOptions.of(QdqFormat.ORT, encoding));
        GraphView quantized = QdqQuantizer.quantize(model, plan, amax(plan, 2.0)).graphView();
        float[] w = GraphView.floats(model.graphView().initializer("/model.0/conv.weight").orElseThrow());
        float[] scales = GraphView.floats(quantized.initializer("/model.0/conv.weight_scale").orElseThrow());
        TensorProto q = quantized.initializer("/model.0/conv.weight_quantized").orElseThrow();
        TensorProto zero = quantized.initializer("/model.0/conv.weight_zero_point").orElseThrow();
        int type = encoding.unsignedWeights() ? TensorProto.DataType.UINT8_VALUE : TensorProto.DataType.INT8_VALUE;
        assertThat(q.getDataType()).isEqualTo(type);
        assertThat(zero.getDataType()).isEqualTo(type);
        int offset = encoding.unsignedWeights() ? 128 : 0;
        byte[] values = q.getRawData().toByteArray();
        int largest = 0;
        for (int c = 0; c < 8; c++) {
            assertThat(zero.getRawData().byteAt(c) & 0xff).isEqualTo(offset);
            for (int k = c * 27; k < (c + 1) * 27; k++) {
                int value = (encoding.unsignedWeights() ? values[k] & 0xff : values[k]) - offset;
                assertThat(value).isEqualTo((int) Math.rint(w[k] / scales[c]));
                largest = Math.max(largest, Math.abs(value));
            }
        }
        assertThat(largest).isEqualTo(encoding.weightMax());
        assertThat(plan.notes().get(0)).contains(encoding.id());
    }

    /**
     * The 7-bit grid is what keeps the U8S8 kernels exact: no pair of its products can leave 16 bits, where the
     * full 8-bit grid's can ({@code u8u8} runs on widening kernels, the tensorrt layout on none in ONNX Runtime).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("graphs")
    void onlyTheSevenBitGridKeepsPairSumsInSixteenBits(String name, Supplier<OnnxModel> graph) {
        OnnxModel model = graph.get();
        Map<Int8Encoding, Integer> largest = new TreeMap<>();
        for (Int8Encoding encoding : List.of(Int8Encoding.U8S8_7BIT, Int8Encoding.U8S8_VNNI)) {
            QdqPlacement plan = QdqPlacement.plan(model, QdqOptions.of(QdqFormat.ORT, encoding));
            largest.put(encoding, KernelPairSums.largestU8S8PairSum(QdqQuantizer.quantize(model, plan,
                    amax(plan, 2.0))));
        }
        assertThat(largest.get(Int8Encoding.U8S8_7BIT)).isPositive().isLessThanOrEqualTo(KernelPairSums.INT16_MAX);
        assertThat(largest.get(Int8Encoding.U8S8_VNNI)).isGreaterThan(KernelPairSums.INT16_MAX);
    }

    @Test
    void encodingsThatDoNotFitTheLayoutAreRefusedByElement() {
        assertThat(Int8Encoding.parse("auto", QdqFormat.ORT, "int8Encoding")).isEqualTo(Int8Encoding.U8S8_7BIT);
        assertThat(Int8Encoding.parse(" U8U8 ", QdqFormat.ORT, "int8Encoding")).isEqualTo(Int8Encoding.U8U8);
        assertThat(Int8Encoding.parse("auto", QdqFormat.TENSORRT, "int8Encoding")).isEqualTo(Int8Encoding.S8S8);
        assertThatThrownBy(() -> Int8Encoding.parse("u8u8", QdqFormat.TENSORRT, "int8Encoding"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessage("<int8Encoding>u8u8</int8Encoding> does not fit <qdqFormat>tensorrt</qdqFormat>: TensorRT "
                        + "takes s8s8 only; remove <int8Encoding> or set it to auto.");
        assertThatThrownBy(() -> Int8Encoding.parse("s8s8", QdqFormat.ORT, "int8Encoding"))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("u8s8-7bit (the default)");
        assertThatThrownBy(() -> Int8Encoding.parse("int4", QdqFormat.ORT, "int8Encoding"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("<int8Encoding>int4</int8Encoding> is not a valid choice: use auto, u8s8-7bit");
    }

    @Test
    void excludedNamesAreCanonicalWhateverTheInsertionOrder() {
        Set<String> forwards = new java.util.LinkedHashSet<>(List.of("b", "a", "c"));
        Set<String> backwards = new java.util.LinkedHashSet<>(List.of("c", "a", "b"));
        QdqOptions one = new QdqOptions(QdqFormat.ORT, forwards, backwards);
        QdqOptions two = new QdqOptions(QdqFormat.ORT, backwards, forwards);
        assertThat(one).hasToString(two.toString()).isEqualTo(two);
        assertThat(one.excludeNodes()).containsExactly("a", "b", "c");
    }

    @Test
    void quantizingTwiceGivesIdenticalBytesAndLeavesTheInputAlone() {
        OnnxModel model = SampleGraphs.poolResize();
        byte[] before = model.toBytes();
        QdqPlacement plan = QdqPlacement.plan(model, QdqOptions.of(QdqFormat.ORT));
        Map<String, Double> amax = amax(plan, 1.5);
        byte[] first = QdqQuantizer.quantize(model, plan, amax).toBytes();
        byte[] second = QdqQuantizer.quantize(model, QdqPlacement.plan(model, QdqOptions.of(QdqFormat.ORT)),
                new TreeMap<>(amax)).toBytes();
        assertThat(second).isEqualTo(first);
        assertThat(model.toBytes()).isEqualTo(before);
    }

    @Test
    void missingOrInvalidAmaxIsRefusedByName() {
        OnnxModel model = SampleGraphs.siluChain();
        QdqPlacement plan = QdqPlacement.plan(model, QdqOptions.of(QdqFormat.TENSORRT));
        assertThatThrownBy(() -> QdqQuantizer.quantize(model, plan, Map.of("images", 1.0)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no amax").hasMessageContaining(M0);
        for (double bad : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertThatThrownBy(() -> QdqQuantizer.quantize(model, plan, Map.of("images", 1.0, M0, bad)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(M0)
                    .hasMessageContaining("not a positive finite number");
        }
        assertThatThrownBy(() -> QdqQuantizer.quantize(SampleGraphs.residual(), plan, amax(plan, 1.0)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("another model");
    }

    @Test
    void oldOpsetIsRaisedTo13AndOnnxRuntimeRunsTheResult() throws Exception {
        GraphBuilder g = new GraphBuilder(7);
        String y = g.conv("/model.1/conv", g.convSilu("/model.0", g.input("images", 3, 8), 3, 4, 3), 4, 2, 1);
        OnnxModel model = g.output(y, 1, 2, 8, 8).build(12);
        QdqPlacement plan = QdqPlacement.plan(model, QdqOptions.of(QdqFormat.TENSORRT));
        OnnxModel quantized = QdqQuantizer.quantize(model, plan, amax(plan, 2.0));
        assertThat(quantized.opsetVersion()).isEqualTo(13);
        assertThat(quantized.irVersion()).isEqualTo(7);
        assertThat(OrtRuns.run(quantized, input(1), SampleGraphs.INPUT_SHAPE)).hasSize(2 * 64);
    }

    private static Map<String, Double> amax(QdqPlacement plan, double value) {
        Map<String, Double> amax = new HashMap<>();
        plan.calibratedTensors().forEach(tensor -> amax.put(tensor, value));
        return amax;
    }

    private static float scalar(TensorProto tensor) {
        return tensor.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).getFloat(0);
    }
}
