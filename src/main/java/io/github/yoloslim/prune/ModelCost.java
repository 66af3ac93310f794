package io.github.yoloslim.prune;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnxruntime.OrtException;
import io.github.yoloslim.onnx.GraphView;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.onnx.YoloModelInfo;
import io.github.yoloslim.runtime.TappedSession;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What a model costs: its parameters, its multiply-accumulates per image at its input size, and its file size.
 *
 * @param parameters the elements of all float initializers
 * @param macs multiply-accumulates of all Convs for one image (the FLOPs papers quote are usually these)
 * @param fileBytes the serialized model's size
 */
public record ModelCost(long parameters, long macs, long fileBytes) {

    /**
     * Measures {@code model}: Conv output sizes come from one ONNX Runtime run on a blank image, so any input size
     * and any graph the runtime accepts are counted right.
     */
    public static ModelCost measure(OnnxModel model, YoloModelInfo info) throws OrtException {
        GraphView graph = model.graphView();
        long parameters = 0;
        for (TensorProto initializer : graph.initializers().values()) {
            if (initializer.getDataType() == TensorProto.DataType.FLOAT_VALUE) {
                parameters += GraphView.elementCount(initializer);
            }
        }
        List<NodeProto> convs = model.graph().getNodeList().stream().filter(n -> n.getOpType().equals("Conv")).toList();
        List<String> outputs = new ArrayList<>();
        convs.forEach(conv -> outputs.add(conv.getOutput(0)));
        long macs = 0;
        try (TappedSession session = TappedSession.open(model, info, outputs, 1)) {
            session.run(new float[3 * info.inputHeight() * info.inputWidth()], 1, (tensor, values) -> {
            });
            for (NodeProto conv : convs) {
                long[] out = session.shape(conv.getOutput(0));
                TensorProto weight = graph.initializer(conv.getInput(1)).orElse(null);
                if (weight == null) {
                    continue;
                }
                // Each output value takes one MAC per weight of its output channel: C_in/groups × kH × kW.
                long perOutput = GraphView.elementCount(weight) / weight.getDims(0);
                macs += perOutput * out[1] * out[2] * out[3];
            }
        }
        return new ModelCost(parameters, macs, model.toBytes().length);
    }

    /** One line comparing this cost with {@code after}'s, e.g. {@code parameters 3,193,909 → 2,639,637 (−17.4%), ...}. */
    public String describeChange(ModelCost after) {
        return String.format(Locale.ROOT, "parameters %,d → %,d (−%.1f%%), MACs %.2fG → %.2fG (−%.1f%%), file %.1f MB "
                + "→ %.1f MB", parameters, after.parameters, 100.0 * (parameters - after.parameters) / parameters,
                macs / 1e9, after.macs / 1e9, 100.0 * (macs - after.macs) / macs, fileBytes / 1e6, after.fileBytes / 1e6);
    }
}
