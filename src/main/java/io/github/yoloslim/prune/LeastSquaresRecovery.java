package io.github.yoloslim.prune;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnxruntime.OrtException;
import io.github.yoloslim.data.UnreadableImagePolicy;
import io.github.yoloslim.onnx.GraphView;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.onnx.YoloModelInfo;
import io.github.yoloslim.progress.ProgressListener;
import io.github.yoloslim.prune.ChannelPruner.ConvChannels;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.LinearSolverFactory_DDRM;
import org.ejml.interfaces.linsol.LinearSolverDense;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Least-squares reconstruction of a pruned network without retraining: every Conv that reads pruned activations
 * gets new weights (over its kept input channels) and bias, chosen so that its output on calibration images is as
 * close as possible to the unpruned network's output of the same Conv.
 *
 * <p>The fit is sequential: a Conv's inputs come from the pruned network with every Conv before it already
 * re-solved, so each layer corrects the error that earlier layers left, while its targets always come from the
 * original network. Convs that do not depend on each other are solved from the same pass (a "level"), each pass
 * running only the prefix of the network up to the inputs it needs.
 *
 * <p>Per Conv with {@code d = c_in·k_h·k_w + 1} unknowns per output channel, sampled output positions give rows
 * {@code x} (the im2col window of the pruned input, plus 1 for the bias) and targets {@code y}; only the normal
 * equations {@code XᵀX} (d×d) and {@code XᵀY} are accumulated, never the activations. The system is solved by
 * Cholesky with a ridge that pulls towards the pruned weights {@code W₀} (which already absorb the removed channels'
 * means): {@code (XᵀX + λI) W = XᵀY + λW₀}, {@code λ = ridge · mean(diag XᵀX)}. A singular system is
 * regularised harder with a warning, and a fit that would be worse than {@code W₀} on the samples keeps {@code W₀}.
 */
final class LeastSquaresRecovery {

    /**
     * What the fit did to one Conv.
     *
     * @param conv the Conv's output tensor
     * @param unknowns weights per output channel plus the bias
     * @param rows sampled output positions
     * @param errorBefore the squared error of the pruned Conv's output against the original's, relative to the
     *     original output's energy, on the samples
     * @param errorAfter the same after re-solving
     */
    record LayerFit(String conv, int level, int unknowns, int rows, double errorBefore, double errorAfter) {
    }

    /** The re-solved model and one fit per Conv, in solving order. */
    record Result(OnnxModel model, List<LayerFit> layers, int levels, int images) {
    }

    private LeastSquaresRecovery() {
    }

    /**
     * Re-solves {@code convs} of {@code pruned}.
     *
     * @param original the unpruned model, which gives the targets
     * @param pruned the pruned model (same tensor names)
     * @param convs the Convs to re-solve, each with its channels in the original; Convs with groups, shared weights
     *     or automatic padding are kept as they are, with a warning
     */
    static Result recover(OnnxModel original, OnnxModel pruned, YoloModelInfo info, List<ConvChannels> convs,
            List<Path> images, RecoverySettings settings, int threads, ProgressListener listener)
            throws IOException, OrtException {
        List<Layer> layers = layers(pruned, convs, listener);
        if (layers.isEmpty()) {
            return new Result(pruned, List.of(), 0, 0);
        }
        BitSet readable = collectTargets(original, info, layers, images, settings, threads, listener);
        int levels = layers.stream().mapToInt(layer -> layer.level).max().orElse(0);
        OnnxModel model = pruned;
        List<LayerFit> fits = new ArrayList<>();
        long start = System.nanoTime();
        long lastReport = start;
        for (int level = 1; level <= levels; level++) {
            int current = level;
            List<Layer> batch = layers.stream().filter(layer -> layer.level == current).toList();
            accumulate(model, info, batch, images, readable, threads);
            Map<String, TensorProto> replacements = new LinkedHashMap<>();
            for (Layer layer : batch) {
                fits.add(layer.solve(settings, model.graphView(), replacements, listener));
                listener.detail(String.format(Locale.ROOT, "  re-solved %s: %d unknowns × %d outputs from %d rows, "
                        + "error %.4f → %.4f", layer.output, layer.unknowns, layer.outputs, layer.rows,
                        fits.get(fits.size() - 1).errorBefore(), fits.get(fits.size() - 1).errorAfter()));
                layer.release();
            }
            model = withInitializers(model, replacements, batch);
            if (System.nanoTime() - lastReport > 10e9 && level < levels) {
                lastReport = System.nanoTime();
                listener.stage(String.format(Locale.ROOT, "  least squares: %d of %d levels, %d of %d Convs, %.0f s",
                        level, levels, fits.size(), layers.size(), (lastReport - start) / 1e9));
            }
        }
        return new Result(model, fits, levels, readable.cardinality());
    }

    /** The Convs to solve, with their levels: 1 + the highest level among re-solved Convs they depend on. */
    private static List<Layer> layers(OnnxModel pruned, List<ConvChannels> convs, ProgressListener listener) {
        Map<String, ConvChannels> byOutput = new HashMap<>();
        convs.forEach(conv -> byOutput.put(conv.output(), conv));
        Map<String, Integer> readers = new HashMap<>();
        pruned.graph().getNodeList().forEach(node -> node.getInputList().forEach(input -> readers.merge(input, 1,
                Integer::sum)));
        Map<String, Integer> depth = new HashMap<>();
        List<Layer> layers = new ArrayList<>();
        for (NodeProto node : pruned.graph().getNodeList()) {
            int upstream = 0;
            for (String input : node.getInputList()) {
                upstream = Math.max(upstream, depth.getOrDefault(input, 0));
            }
            ConvChannels channels = node.getOpType().equals("Conv") ? byOutput.get(node.getOutput(0)) : null;
            if (channels != null) {
                String unsupported = unsupported(node, readers);
                if (unsupported != null) {
                    listener.warn("Least squares leaves " + node.getOutput(0) + " as pruned: " + unsupported);
                } else {
                    upstream++;
                    layers.add(new Layer(node, channels, upstream, layers.size()));
                }
            }
            for (String output : node.getOutputList()) {
                depth.put(output, upstream);
            }
        }
        return layers;
    }

    private static String unsupported(NodeProto conv, Map<String, Integer> readers) {
        for (AttributeProto attribute : conv.getAttributeList()) {
            if (attribute.getName().equals("group") && attribute.getI() != 1) {
                return "it is a grouped convolution";
            }
            if (attribute.getName().equals("auto_pad") && !attribute.getS().toStringUtf8().equals("NOTSET")) {
                return "it uses auto_pad " + attribute.getS().toStringUtf8();
            }
        }
        for (int i = 1; i < conv.getInputCount(); i++) {
            if (readers.getOrDefault(conv.getInput(i), 0) > 1) {
                return "its parameter " + conv.getInput(i) + " is shared with another node";
            }
        }
        return null;
    }

    /**
     * Runs the original model once and keeps, per Conv, its output at the sampled positions of every image; returns
     * the images that could be read (the later passes use the same ones).
     */
    private static BitSet collectTargets(OnnxModel original, YoloModelInfo info, List<Layer> layers, List<Path> images,
            RecoverySettings settings, int threads, ProgressListener listener) throws IOException, OrtException {
        List<String> outputs = layers.stream().map(layer -> layer.output).distinct().toList();
        BitSet readable = ImagePass.run(original.truncatedTo(outputs), info, outputs, images, threads,
                UnreadableImagePolicy.SKIP, ImagePass.READ_BEFORE, listener, (image, tensor, values, shape) -> {
                    for (Layer layer : layers) {
                        if (layer.output.equals(tensor)) {
                            layer.addTargets(image, values, (int) shape[2], (int) shape[3], images.size(), settings);
                        }
                    }
                });
        return readable;
    }

    /** Runs the pruned model's prefix up to the batch's inputs and accumulates each Conv's normal equations. */
    private static void accumulate(OnnxModel model, YoloModelInfo info, List<Layer> batch, List<Path> images,
            BitSet readable, int threads) throws IOException, OrtException {
        List<String> inputs = batch.stream().map(layer -> layer.input).distinct().toList();
        List<Path> used = readable.stream().mapToObj(images::get).toList();
        int[] indices = readable.stream().toArray();
        ImagePass.run(model.truncatedTo(inputs), info, inputs, used, threads, (k, tensor, values, shape) -> {
            for (Layer layer : batch) {
                if (layer.input.equals(tensor)) {
                    layer.accumulate(indices[k], values, (int) shape[1], (int) shape[2], (int) shape[3]);
                }
            }
        });
    }

    /** {@code model} with its initializers replaced, and a bias input added to Convs that had none. */
    private static OnnxModel withInitializers(OnnxModel model, Map<String, TensorProto> replacements,
            List<Layer> batch) {
        GraphProto.Builder graph = model.graph().toBuilder();
        Set<String> present = new HashSet<>();
        for (int i = 0; i < graph.getInitializerCount(); i++) {
            String name = graph.getInitializer(i).getName();
            present.add(name);
            TensorProto replacement = replacements.get(name);
            if (replacement != null) {
                graph.setInitializer(i, replacement);
            }
        }
        for (Layer layer : batch) {
            if (layer.bias != null && !present.contains(layer.bias)) {
                graph.addInitializer(replacements.get(layer.bias));
                int node = layer.nodeIndex(graph);
                NodeProto.Builder conv = graph.getNode(node).toBuilder();
                if (conv.getInputCount() > 2) {
                    conv.setInput(2, layer.bias);
                } else {
                    conv.addInput(layer.bias);
                }
                graph.setNode(node, conv);
            }
        }
        return OnnxModel.of(model.proto().toBuilder().setGraph(graph).build());
    }

    /** One Conv being re-solved: its geometry, sampled positions, targets and normal equations. */
    private static final class Layer {

        final String output;
        final String input;
        final String weight;
        String bias;
        final int level;
        final int ordinal;
        final int[] keptOutputs;
        final int kernelH;
        final int kernelW;
        final int strideH;
        final int strideW;
        final int padTop;
        final int padLeft;
        final int dilationH;
        final int dilationW;
        final int inputs;
        final int outputs;
        final int unknowns;
        int rows;
        int samplesPerImage;
        int outputWidth;
        int[][] positions;
        float[] targets;
        DMatrixRMaj gram;
        DMatrixRMaj cross;
        double[] targetEnergy;
        DMatrixRMaj inner;
        DMatrixRMaj block;
        DMatrixRMaj target;

        Layer(NodeProto conv, ConvChannels channels, int level, int ordinal) {
            this.output = conv.getOutput(0);
            this.input = conv.getInput(0);
            this.weight = conv.getInput(1);
            this.bias = conv.getInputCount() > 2 && !conv.getInput(2).isEmpty() ? conv.getInput(2) : null;
            this.level = level;
            this.ordinal = ordinal;
            this.keptOutputs = channels.keptOutputs();
            long[] kernel = ints(conv, "kernel_shape", null);
            long[] strides = ints(conv, "strides", new long[] {1, 1});
            long[] pads = ints(conv, "pads", new long[] {0, 0, 0, 0});
            long[] dilations = ints(conv, "dilations", new long[] {1, 1});
            if (kernel == null || kernel.length != 2) {
                throw new IllegalArgumentException(output + " is not a 2-D Conv with kernel_shape");
            }
            kernelH = (int) kernel[0];
            kernelW = (int) kernel[1];
            strideH = (int) strides[0];
            strideW = (int) strides[1];
            padTop = (int) pads[0];
            padLeft = (int) pads[1];
            dilationH = (int) dilations[0];
            dilationW = (int) dilations[1];
            inputs = channels.keptInputs().length;
            outputs = keptOutputs.length;
            unknowns = inputs * kernelH * kernelW + 1;
        }

        private static long[] ints(NodeProto node, String name, long[] fallback) {
            for (AttributeProto attribute : node.getAttributeList()) {
                if (attribute.getName().equals(name)) {
                    return attribute.getIntsList().stream().mapToLong(Long::longValue).toArray();
                }
            }
            return fallback;
        }

        /** Samples this image's positions and keeps the original output there. */
        void addTargets(int image, FloatBuffer values, int height, int width, int imageCount, RecoverySettings settings) {
            int plane = height * width;
            outputWidth = width;
            if (positions == null) {
                long wanted = Math.max(RecoverySettings.MIN_ROWS, (long) settings.rowsPerUnknown() * unknowns);
                samplesPerImage = (int) Math.min(plane, (wanted + imageCount - 1) / imageCount);
                positions = new int[imageCount][];
                targets = new float[Math.multiplyExact(imageCount, samplesPerImage * outputs)];
            }
            int[] sampled = sample(plane, samplesPerImage, new SplittableRandom(ordinal * 1_000_003L + image));
            positions[image] = sampled;
            int base = rows * outputs;
            for (int s = 0; s < sampled.length; s++) {
                for (int o = 0; o < outputs; o++) {
                    targets[base + s * outputs + o] = values.get(keptOutputs[o] * plane + sampled[s]);
                }
            }
            rows += sampled.length;
        }

        /** {@code count} distinct positions of {@code [0, plane)}, ascending (partial Fisher–Yates). */
        private static int[] sample(int plane, int count, SplittableRandom random) {
            int[] all = new int[plane];
            for (int p = 0; p < plane; p++) {
                all[p] = p;
            }
            for (int s = 0; s < count; s++) {
                int pick = s + random.nextInt(plane - s);
                int swap = all[s];
                all[s] = all[pick];
                all[pick] = swap;
            }
            int[] sampled = Arrays.copyOf(all, count);
            Arrays.sort(sampled);
            return sampled;
        }

        /** Adds one image's rows: the im2col windows of the pruned input at the image's sampled positions. */
        void accumulate(int image, FloatBuffer values, int channels, int height, int width) {
            if (channels != inputs) {
                throw new IllegalStateException(input + " has " + channels + " channels in the pruned model, expected "
                        + inputs);
            }
            int[] sampled = positions[image];
            if (gram == null) {
                gram = new DMatrixRMaj(unknowns, unknowns);
                cross = new DMatrixRMaj(unknowns, outputs);
                targetEnergy = new double[outputs];
                rows = 0;
                // Reused for every image: a window matrix of a wide Conv is tens of megabytes.
                inner = new DMatrixRMaj(unknowns, unknowns);
                block = new DMatrixRMaj(sampled.length, unknowns);
                target = new DMatrixRMaj(sampled.length, outputs);
            }
            int plane = height * width;
            double[] x = block.data;
            for (int s = 0; s < sampled.length; s++) {
                int oy = sampled[s] / outputWidth;
                int ox = sampled[s] % outputWidth;
                int row = s * unknowns;
                for (int c = 0; c < inputs; c++) {
                    for (int ky = 0; ky < kernelH; ky++) {
                        int iy = oy * strideH - padTop + ky * dilationH;
                        for (int kx = 0; kx < kernelW; kx++) {
                            int ix = ox * strideW - padLeft + kx * dilationW;
                            x[row++] = iy >= 0 && iy < height && ix >= 0 && ix < width
                                    ? values.get(c * plane + iy * width + ix) : 0;
                        }
                    }
                }
                x[row] = 1;
                int from = (rows + s) * outputs;
                for (int o = 0; o < outputs; o++) {
                    double y = targets[from + o];
                    target.data[s * outputs + o] = y;
                    targetEnergy[o] += y * y;
                }
            }
            rows += sampled.length;
            CommonOps_DDRM.multInner(block, inner);
            CommonOps_DDRM.addEquals(gram, inner);
            CommonOps_DDRM.multAddTransA(block, target, cross);
        }

        /** Solves the normal equations and puts the new weight and bias into {@code replacements}. */
        LayerFit solve(RecoverySettings settings, GraphView graph, Map<String, TensorProto> replacements,
                ProgressListener listener) {
            TensorProto weightTensor = graph.initializer(weight).orElseThrow();
            float[] w = GraphView.floats(weightTensor);
            float[] b = bias == null ? new float[outputs] : GraphView.floats(graph.initializer(bias).orElseThrow());
            int window = unknowns - 1;
            DMatrixRMaj start = new DMatrixRMaj(unknowns, outputs);
            for (int o = 0; o < outputs; o++) {
                for (int j = 0; j < window; j++) {
                    start.unsafe_set(j, o, w[o * window + j]);
                }
                start.unsafe_set(window, o, b[o]);
            }
            double diagonal = 0;
            for (int j = 0; j < window; j++) {
                diagonal += gram.unsafe_get(j, j);
            }
            double lambda = settings.ridge() * Math.max(diagonal / Math.max(1, window), 1e-12);
            DMatrixRMaj solution = null;
            for (int attempt = 0; attempt < 4 && solution == null; attempt++, lambda *= 100) {
                solution = solve(lambda, start);
                if (solution == null) {
                    listener.warn(String.format(Locale.ROOT, "Least squares for %s: the normal equations are singular "
                            + "at ridge λ=%.3g; regularising harder", output, lambda));
                }
            }
            double energy = 0;
            for (double e : targetEnergy) {
                energy += e;
            }
            double before = error(start) / Math.max(energy, Double.MIN_NORMAL);
            double after = solution == null ? Double.POSITIVE_INFINITY : error(solution) / Math.max(energy,
                    Double.MIN_NORMAL);
            if (!(after <= before)) {
                listener.warn(String.format(Locale.ROOT, "Least squares for %s did not improve on the pruned weights "
                        + "(error %.4g → %.4g); keeping them", output, before, after));
                solution = start;
                after = before;
            }
            float[] newWeight = new float[w.length];
            float[] newBias = new float[outputs];
            for (int o = 0; o < outputs; o++) {
                for (int j = 0; j < window; j++) {
                    newWeight[o * window + j] = (float) solution.unsafe_get(j, o);
                }
                newBias[o] = (float) solution.unsafe_get(window, o);
            }
            long[] dims = weightTensor.getDimsList().stream().mapToLong(Long::longValue).toArray();
            replacements.put(weight, GraphView.floatTensor(weight, dims, newWeight));
            if (bias == null) {
                bias = freshBias(graph);
            }
            replacements.put(bias, GraphView.floatTensor(bias, new long[] {outputs}, newBias));
            return new LayerFit(output, level, unknowns, rows, before, after);
        }

        private DMatrixRMaj solve(double lambda, DMatrixRMaj start) {
            DMatrixRMaj system = gram.copy();
            for (int j = 0; j < unknowns; j++) {
                system.unsafe_set(j, j, system.unsafe_get(j, j) + lambda);
            }
            DMatrixRMaj rhs = start.copy();
            CommonOps_DDRM.scale(lambda, rhs);
            CommonOps_DDRM.addEquals(rhs, cross);
            LinearSolverDense<DMatrixRMaj> cholesky = LinearSolverFactory_DDRM.chol(unknowns);
            if (!cholesky.setA(system)) {
                return null;
            }
            DMatrixRMaj solution = new DMatrixRMaj(unknowns, outputs);
            cholesky.solve(rhs, solution);
            for (double value : solution.data) {
                if (!Double.isFinite(value)) {
                    return null;
                }
            }
            return solution;
        }

        /** Σ‖y − Wᵀx‖² over the samples, from the normal equations: Σy² − 2·tr(WᵀXᵀY) + tr(WᵀXᵀXW). */
        private double error(DMatrixRMaj w) {
            DMatrixRMaj gw = new DMatrixRMaj(unknowns, outputs);
            CommonOps_DDRM.mult(gram, w, gw);
            double error = 0;
            for (int o = 0; o < outputs; o++) {
                double quadratic = 0;
                double linear = 0;
                for (int j = 0; j < unknowns; j++) {
                    quadratic += w.unsafe_get(j, o) * gw.unsafe_get(j, o);
                    linear += w.unsafe_get(j, o) * cross.unsafe_get(j, o);
                }
                error += targetEnergy[o] - 2 * linear + quadratic;
            }
            return Math.max(0, error);
        }

        private String freshBias(GraphView graph) {
            String base = weight.endsWith(".weight") ? weight.substring(0, weight.length() - 7) + ".bias"
                    : weight + "_bias";
            String name = base;
            for (int k = 2; graph.initializer(name).isPresent() || graph.producer(name).isPresent(); k++) {
                name = base + "_" + k;
            }
            return name;
        }

        int nodeIndex(GraphProto.Builder graph) {
            for (int i = 0; i < graph.getNodeCount(); i++) {
                if (graph.getNode(i).getOpType().equals("Conv") && graph.getNode(i).getOutput(0).equals(output)) {
                    return i;
                }
            }
            throw new IllegalStateException("Conv " + output + " vanished from the model");
        }

        /** Drops the samples and matrices once solved. */
        void release() {
            positions = null;
            targets = null;
            gram = null;
            cross = null;
            inner = null;
            block = null;
            target = null;
        }
    }
}
