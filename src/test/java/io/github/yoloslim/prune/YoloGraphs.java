package io.github.yoloslim.prune;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.github.yoloslim.onnx.GraphView;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.onnx.OutputLayout;
import io.github.yoloslim.onnx.TensorShape;
import io.github.yoloslim.onnx.YoloModelInfo;
import io.github.yoloslim.testing.GraphBuilder;
import io.github.yoloslim.testing.SyntheticImages;
import io.github.yoloslim.testing.TinyDetectors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static io.github.yoloslim.testing.GraphBuilder.integer;
import static io.github.yoloslim.testing.GraphBuilder.ints;
import static io.github.yoloslim.testing.GraphBuilder.string;

/**
 * A small YOLOv8 in the layout of an Ultralytics export, in either form (Conv → BatchNormalization → SiLU, or BN
 * folded into the Conv's bias): input {@code images [1, 3, 16, 16]}, output {@code [1, 4 + 2 classes, 320 anchors]}.
 * <pre>
 * /model.0  Conv 3→8 3×3                                   16×16
 * /model.1  C2f 8→8, 2 bottlenecks with shortcut            16×16  (P3 backbone)
 * /model.2  Conv 8→16 3×3 stride 2                          8×8
 * /model.3  SPPF 16→16 (cv1, 3 MaxPools, Concat, cv2)       8×8
 * /model.4  Resize ×2, Concat with /model.1                 16×16
 * /model.5  C2f 24→8, 1 bottleneck, no shortcut             16×16  (P3 out)
 * /model.6  Conv 8→8 3×3 stride 2, Concat with /model.3     8×8
 * /model.8  C2f 24→16, 1 bottleneck, no shortcut            8×8    (P4 out)
 * /model.9  Detect: per scale box (Conv, Conv, 1×1 Conv to 4·reg_max = 8) and class (Conv, Conv, 1×1 Conv to 2)
 *           branches; Reshape, Concat over scales, DFL (Reshape, Transpose, Softmax, fixed Conv 2→1), class
 *           Sigmoid, final Concat
 * </pre>
 */
public final class YoloGraphs {

    public static final long[] INPUT_SHAPE = {1, 3, 16, 16};
    static final int REG_MAX = 2;
    static final int CLASSES = 2;
    static final int ANCHORS = 16 * 16 + 8 * 8;

    private final GraphBuilder g;
    private final boolean batchNorm;

    private YoloGraphs(long seed, boolean batchNorm) {
        this.g = new GraphBuilder(seed);
        this.batchNorm = batchNorm;
    }

    /** The model, with BatchNormalization after every Conv of a Conv module, or folded. */
    public static OnnxModel yolo(boolean batchNorm) {
        return new YoloGraphs(batchNorm ? 21 : 22, batchNorm).build();
    }

    private OnnxModel build() {
        String x = g.input("images", 3, 16);
        String b0 = block("/model.0", x, 3, 8, 3, 1);
        String b1 = c2f("/model.1", b0, 8, 8, 2, true);
        String b2 = block("/model.2", b1, 8, 16, 3, 2);
        String b3 = sppf("/model.3", b2, 16, 16);
        String scales = g.initializer(TinyDetectors.floats("/model.4/scales", new float[] {1, 1, 2, 2}, 4));
        String up = g.node("/model.4/Resize", "Resize", List.of(b3, "", scales), string("mode", "nearest"),
                string("coordinate_transformation_mode", "asymmetric"), string("nearest_mode", "floor"));
        String b5 = c2f("/model.5", g.node("/model.4/Concat", "Concat", List.of(up, b1), integer("axis", 1)), 24, 8,
                1, false);
        String b6 = block("/model.6", b5, 8, 8, 3, 2);
        String b8 = c2f("/model.8", g.node("/model.7/Concat", "Concat", List.of(b6, b3), integer("axis", 1)), 24, 16,
                1, false);

        String[] features = {b5, b8};
        int[] channels = {8, 16};
        List<String> boxes = new ArrayList<>();
        List<String> classes = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            String p = "/model.9/cv2." + i + "/cv2." + i;
            String box = block(p + ".1", block(p + ".0", features[i], channels[i], 8, 3, 1), 8, 8, 3, 1);
            box = g.conv(p + ".2", box, 8, 4 * REG_MAX, 1);
            boxes.add(g.node("/model.9/Reshape_b" + i, "Reshape", List.of(box,
                    g.int64s("/model.9/box_shape" + i, 1, 4 * REG_MAX, -1))));
            String c = "/model.9/cv3." + i + "/cv3." + i;
            String cls = block(c + ".1", block(c + ".0", features[i], channels[i], 6, 3, 1), 6, 6, 3, 1);
            cls = g.conv(c + ".2", cls, 6, CLASSES, 1);
            classes.add(g.node("/model.9/Reshape_c" + i, "Reshape", List.of(cls,
                    g.int64s("/model.9/cls_shape" + i, 1, CLASSES, -1))));
        }
        String box = g.node("/model.9/Concat", "Concat", boxes, integer("axis", 2));
        String cls = g.node("/model.9/Concat_1", "Concat", classes, integer("axis", 2));
        String dfl = g.node("/model.9/dfl/Reshape", "Reshape", List.of(box,
                g.int64s("/model.9/dfl/shape", 1, 4, REG_MAX, ANCHORS)));
        dfl = g.node("/model.9/dfl/Transpose", "Transpose", List.of(dfl), ints("perm", 0, 2, 1, 3));
        dfl = g.node("/model.9/dfl/Softmax", "Softmax", List.of(dfl), integer("axis", 1));
        float[] arange = new float[REG_MAX];
        for (int i = 0; i < REG_MAX; i++) {
            arange[i] = i;
        }
        String dflWeight = g.initializer(TinyDetectors.floats("/model.9/dfl/conv.weight", arange, 1, REG_MAX, 1, 1));
        dfl = g.node("/model.9/dfl/conv", "Conv", List.of(dfl, dflWeight), ints("kernel_shape", 1, 1));
        dfl = g.node("/model.9/dfl/Reshape_1", "Reshape", List.of(dfl, g.int64s("/model.9/dfl/out", 1, 4, ANCHORS)));
        String scores = g.node("/model.9/Sigmoid", "Sigmoid", List.of(cls));
        String out = g.node("/model.9/Concat_2", "Concat", List.of(dfl, scores), integer("axis", 1));
        return g.output(out, 1, 4 + CLASSES, ANCHORS).build(17);
    }

    /** YOLOv8's Conv module. */
    private String block(String name, String input, int in, int out, int kernel, int stride) {
        return batchNorm ? g.convBnSilu(name, input, in, out, kernel, stride)
                : g.convSilu(name, input, in, out, kernel, stride);
    }

    /** C2f: cv1, Split in halves, bottlenecks on the second half (with a residual Add when shortcut), Concat, cv2. */
    private String c2f(String name, String input, int in, int out, int bottlenecks, boolean shortcut) {
        int half = out / 2;
        String cv1 = block(name + "/cv1", input, in, 2 * half, 1, 1);
        String split = name + "/Split_output_";
        g.node(NodeProto.newBuilder().setName(name + "/Split").setOpType("Split").addInput(cv1)
                .addInput(g.int64s(name + "/split", half, half)).addOutput(split + 0).addOutput(split + 1)
                .addAttribute(integer("axis", 1)).build());
        List<String> parts = new ArrayList<>(List.of(split + 0, split + 1));
        String t = split + 1;
        for (int i = 0; i < bottlenecks; i++) {
            String m = name + "/m." + i;
            String u = block(m + "/cv2", block(m + "/cv1", t, half, half, 3, 1), half, half, 3, 1);
            t = shortcut ? g.node(m + "/Add", "Add", List.of(t, u)) : u;
            parts.add(t);
        }
        String concat = g.node(name + "/Concat", "Concat", parts, integer("axis", 1));
        return block(name + "/cv2", concat, (2 + bottlenecks) * half, out, 1, 1);
    }

    /** SPPF: cv1 to half the channels, three 5×5 MaxPools in a row, Concat of all four, cv2. */
    private String sppf(String name, String input, int in, int out) {
        int half = in / 2;
        String cv1 = block(name + "/cv1", input, in, half, 1, 1);
        List<String> parts = new ArrayList<>(List.of(cv1));
        for (String pool : List.of("m", "m_1", "m_2")) {
            parts.add(g.node(name + "/" + pool + "/MaxPool", "MaxPool", List.of(parts.get(parts.size() - 1)),
                    ints("kernel_shape", 5, 5), ints("pads", 2, 2, 2, 2), ints("strides", 1, 1)));
        }
        String concat = g.node(name + "/Concat", "Concat", parts, integer("axis", 1));
        return block(name + "/cv2", concat, 4 * half, out, 1, 1);
    }

    /** {@code model} with one float initializer's values changed. */
    public static OnnxModel editInitializer(OnnxModel model, String name, UnaryOperator<float[]> change) {
        var builder = model.proto().toBuilder();
        var graph = builder.getGraphBuilder();
        for (int i = 0; i < graph.getInitializerCount(); i++) {
            TensorProto tensor = graph.getInitializer(i);
            if (tensor.getName().equals(name)) {
                long[] dims = tensor.getDimsList().stream().mapToLong(Long::longValue).toArray();
                graph.setInitializer(i, GraphView.floatTensor(name, dims, change.apply(GraphView.floats(tensor))));
                return OnnxModel.of(builder.build());
            }
        }
        throw new IllegalArgumentException("no initializer " + name);
    }

    /**
     * x → p (3×3 Conv + SiLU, 3→8) → a (1×1, 8→6; followed by SiLU when {@code activatedA}, its Conv then named
     * {@code a/conv}) → b (3×3, 6→5) → output {@code b_output_0}, on a {@code size}² image.
     */
    static OnnxModel threeConvs(long seed, boolean activatedA, int size) {
        GraphBuilder builder = new GraphBuilder(seed);
        String x = builder.input("images", 3, size);
        String p = builder.convSilu("p", x, 3, 8, 3);
        String a = activatedA ? builder.convSilu("a", p, 8, 6, 1) : builder.conv("a", p, 8, 6, 1);
        String b = builder.conv("b", a, 6, 5, 3);
        builder.output(b, 1, 5, size, size);
        return builder.build(17);
    }

    /** What the pipeline would know of a graph built in code with one square input and output, for runs. */
    static YoloModelInfo info(String input, int size, String output, long... outputDims) {
        return new YoloModelInfo(input, TensorShape.fixed(1, 3, size, size), output, TensorShape.fixed(outputDims),
                OutputLayout.ATTRIBUTES_FIRST, List.of("a"), "test", size, size, 1, 0);
    }

    /** {@code count} seeded noise images of {@code size}² in {@code folder}, in file order. */
    public static List<Path> noiseImages(Path folder, int count, int size, long seed) throws IOException {
        try (Stream<Path> files = Files.list(SyntheticImages.noise(folder, count, size, seed))) {
            return files.sorted().toList();
        }
    }

    /** A seeded random input of {@code shape}, in [0, 1). */
    public static float[] input(long[] shape, long seed) {
        Random random = new Random(seed);
        long count = 1;
        for (long dim : shape) {
            count *= dim;
        }
        float[] input = new float[(int) count];
        for (int i = 0; i < input.length; i++) {
            input[i] = random.nextFloat();
        }
        return input;
    }

    static double maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException(a.length + " vs " + b.length + " values");
        }
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }
}
