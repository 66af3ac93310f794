package io.github.yoloslim.quantize;

import ai.onnx.proto.OnnxMl.NodeProto;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.testing.GraphBuilder;
import io.github.yoloslim.testing.TinyDetectors;

import java.util.List;

import static io.github.yoloslim.testing.GraphBuilder.integer;
import static io.github.yoloslim.testing.GraphBuilder.ints;
import static io.github.yoloslim.testing.GraphBuilder.string;

/** YOLOv8-shaped graphs small enough to reason about: input {@code images [1, 3, 8, 8]}, one output. */
final class SampleGraphs {

    static final long[] INPUT_SHAPE = {1, 3, 8, 8};

    private SampleGraphs() {
    }

    /** Conv → SiLU (Sigmoid, Mul) → Conv. */
    static OnnxModel siluChain() {
        GraphBuilder g = new GraphBuilder(1);
        String a = g.convSilu("/model.0", g.input("images", 3, 8), 3, 8, 3);
        String y = g.conv("/model.1/conv", a, 8, 4, 1);
        return g.output(y, 1, 4, 8, 8).build(17);
    }

    /** A YOLOv8 bottleneck: {@code t + SiLU(Conv(SiLU(Conv(t))))}, then a Conv. */
    static OnnxModel residual() {
        GraphBuilder g = new GraphBuilder(2);
        String t = g.convSilu("/model.0", g.input("images", 3, 8), 3, 8, 3);
        String u = g.convSilu("/model.1/m.0/cv1", t, 8, 8, 3);
        u = g.convSilu("/model.1/m.0/cv2", u, 8, 8, 3);
        String sum = g.node("/model.1/m.0/Add", "Add", List.of(t, u));
        String y = g.conv("/model.2/conv", sum, 8, 4, 1);
        return g.output(y, 1, 4, 8, 8).build(17);
    }

    /** Two branches concatenated along channels, then a Conv. */
    static OnnxModel concat() {
        GraphBuilder g = new GraphBuilder(3);
        String x = g.input("images", 3, 8);
        String a = g.convSilu("/model.0", x, 3, 4, 3);
        String b = g.convSilu("/model.1", x, 3, 4, 1);
        String c = g.node("/model.2/Concat", "Concat", List.of(a, b), integer("axis", 1));
        String y = g.conv("/model.3/conv", c, 8, 4, 1);
        return g.output(y, 1, 4, 8, 8).build(17);
    }

    /** SPPF-like pooling and an upsampling: Conv → MaxPool, Concat of both, nearest Resize ×2, Conv. */
    static OnnxModel poolResize() {
        GraphBuilder g = new GraphBuilder(4);
        String m = g.convSilu("/model.0", g.input("images", 3, 8), 3, 4, 3);
        String p = g.node("/model.1/m/MaxPool", "MaxPool", List.of(m), ints("kernel_shape", 3, 3),
                ints("pads", 1, 1, 1, 1), ints("strides", 1, 1));
        String c = g.node("/model.1/Concat", "Concat", List.of(m, p), integer("axis", 1));
        String scales = g.initializer(TinyDetectors.floats("scales",
                new float[] {1, 1, 2, 2}, 4));
        String r = g.node("/model.2/Resize", "Resize", List.of(c, "", scales), string("mode", "nearest"));
        String y = g.conv("/model.3/conv", r, 8, 4, 1);
        return g.output(y, 1, 4, 16, 16).build(17);
    }

    /**
     * A two-scale detector head in the layout of current Ultralytics exports: per scale a box Conv and a class
     * Conv, each flattened by Reshape and concatenated across scales, a DFL-like Softmax and fixed Conv on the
     * boxes, Sigmoid on the classes, and the final Concat. With {@code perScaleConcat} the box and class maps are
     * concatenated per scale before flattening, as older exports do.
     */
    static OnnxModel detectHead(boolean perScaleConcat) {
        GraphBuilder g = new GraphBuilder(5);
        String x = g.input("images", 3, 8);
        String p3 = g.convSilu("/model.0", x, 3, 4, 3);
        String p4 = g.convSilu("/model.1", p3, 4, 4, 3);
        String[] boxes = new String[2];
        String[] classes = new String[2];
        String[] merged = new String[2];
        for (int i = 0; i < 2; i++) {
            String feature = i == 0 ? p3 : p4;
            String box = g.conv("/model.22/cv2." + i + "/cv2." + i + ".2", g.convSilu("/model.22/cv2." + i
                    + "/cv2." + i + ".0", feature, 4, 4, 3), 4, 4, 1);
            String cls = g.conv("/model.22/cv3." + i + "/cv3." + i + ".2", g.convSilu("/model.22/cv3." + i
                    + "/cv3." + i + ".0", feature, 4, 4, 3), 4, 4, 1);
            if (perScaleConcat) {
                merged[i] = g.node("/model.22/Concat_s" + i, "Concat", List.of(box, cls), integer("axis", 1));
            } else {
                boxes[i] = g.node("/model.22/Reshape_b" + i, "Reshape", List.of(box, g.int64s("box" + i, 1, 4, -1)));
                classes[i] = g.node("/model.22/Reshape_c" + i, "Reshape", List.of(cls, g.int64s("cls" + i, 1, 4, -1)));
            }
        }
        String box;
        String cls;
        if (perScaleConcat) {
            String flat = g.int64s("flat", 1, 8, -1);
            String all = g.node("/model.22/Concat", "Concat", List.of(
                    g.node("/model.22/Reshape_0", "Reshape", List.of(merged[0], flat)),
                    g.node("/model.22/Reshape_1", "Reshape", List.of(merged[1], flat))), integer("axis", 2));
            String split = "/model.22/Split_output_";
            g.node(NodeProto.newBuilder().setName("/model.22/Split").setOpType("Split")
                    .addInput(all).addInput(g.int64s("sizes", 4, 4)).addOutput(split + 0).addOutput(split + 1)
                    .addAttribute(integer("axis", 1)).build());
            box = split + 0;
            cls = split + 1;
        } else {
            box = g.node("/model.22/Concat", "Concat", List.of(boxes), integer("axis", 2));
            cls = g.node("/model.22/Concat_1", "Concat", List.of(classes), integer("axis", 2));
        }
        String soft = g.node("/model.22/dfl/Softmax", "Softmax",
                List.of(g.node("/model.22/dfl/Reshape", "Reshape", List.of(box, g.int64s("dfl", 1, 4, 1, -1)))),
                integer("axis", 1));
        String dfl = g.conv("/model.22/dfl/conv", soft, 4, 1, 1);
        String boxOut = g.node("/model.22/dfl/Reshape_1", "Reshape", List.of(dfl, g.int64s("dflOut", 1, 1, -1)));
        String scores = g.node("/model.22/Sigmoid", "Sigmoid", List.of(cls));
        String out = g.node("/model.22/Concat_3", "Concat", List.of(boxOut, scores), integer("axis", 1));
        return g.output(out, 1, 5, 128).build(17);
    }
}
