package io.github.yoloslim.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The label-free distillation loss between a teacher's and a student's Detect head outputs (see
 * {@link LossWeights} for the terms). Where the student's feature maps have fewer channels than the teacher's (a
 * pruned student), a 1×1 adapter Conv per scale maps them up for the feature term; the adapters train with the
 * student and are discarded afterwards. Every constant is a {@link TorchEngine#scalar} (autograd keeps them for the
 * backward pass).
 */
final class DistillationLoss implements AutoCloseable {

    /** One step's loss: the total to differentiate and its weighted terms, for reporting. */
    record Terms(NDArray total, float box, float classes, float features) {
    }

    private final LossWeights weights;
    private final DetectHeadTensors teacher;
    private final DetectHeadTensors student;
    private final NDManager manager;
    private final Map<String, NDArray> adapters = new LinkedHashMap<>();

    DistillationLoss(LossWeights weights, DetectHeadTensors teacher, DetectHeadTensors student, NDManager parent) {
        this.weights = weights;
        this.teacher = teacher;
        this.student = student;
        this.manager = parent.newSubManager();
        if (weights.features() > 0) {
            for (int s = 0; s < teacher.scales().size(); s++) {
                long in = student.scales().get(s).featureChannels();
                long out = teacher.scales().get(s).featureChannels();
                if (in != out) {
                    // Kaiming-uniform, as a fresh Conv; the adapter learns the channel mapping during training.
                    double bound = Math.sqrt(3.0 / in);
                    NDArray adapter = manager.randomUniform((float) -bound, (float) bound, new Shape(out, in, 1, 1));
                    adapter.setRequiresGradient(true);
                    adapters.put("adapter." + teacher.scales().get(s).feature(), adapter);
                }
            }
        }
    }

    /** The adapters' weights by name, to be trained with the student's parameters. */
    Map<String, NDArray> adapters() {
        return adapters;
    }

    /** The loss of one batch, from the tensors {@link DetectHeadTensors#all()} names in each graph. */
    Terms compute(Map<String, NDArray> teacherOut, Map<String, NDArray> studentOut) {
        int regMax = teacher.regMax();
        float temperature = (float) weights.temperature();
        NDArray boxSum = null;
        NDArray weightSum = null;
        NDArray classSum = null;
        NDArray scoreSum = null;
        NDArray featureSum = null;
        List<DetectHeadTensors.Scale> scales = teacher.scales();
        for (int s = 0; s < scales.size(); s++) {
            DetectHeadTensors.Scale t = scales.get(s);
            DetectHeadTensors.Scale u = student.scales().get(s);
            NDArray teacherBox = teacherOut.get(t.box());
            Shape shape = teacherBox.getShape();
            Shape bins = new Shape(shape.get(0), 4, regMax, shape.get(2), shape.get(3));
            NDArray divisor = TorchEngine.scalar(teacherBox, temperature);
            NDArray teacherLogits = teacherBox.reshape(bins).div(divisor);
            NDArray studentLogits = studentOut.get(u.box()).reshape(bins).div(divisor);
            NDArray kl = teacherLogits.softmax(2).mul(teacherLogits.logSoftmax(2).sub(studentLogits.logSoftmax(2)))
                    .sum(new int[] {2}).mean(new int[] {1});
            NDArray teacherClasses = teacherOut.get(t.classes());
            NDArray scores = Activation.sigmoid(teacherClasses);
            NDArray anchorWeight = scores.max(new int[] {1});
            boxSum = add(boxSum, kl.mul(anchorWeight).sum());
            weightSum = add(weightSum, anchorWeight.sum());

            classSum = add(classSum, bernoulliKl(teacherClasses, scores, studentOut.get(u.classes())).sum());
            scoreSum = add(scoreSum, scores.sum());

            if (weights.features() > 0) {
                NDArray target = teacherOut.get(t.feature());
                NDArray feature = studentOut.get(u.feature());
                NDArray adapter = adapters.get("adapter." + t.feature());
                if (adapter != null) {
                    feature = Conv2d.conv2d(feature, adapter, null).singletonOrThrow();
                }
                NDArray energy = target.square().mean().add(TorchEngine.scalar(target, 1e-12f));
                NDArray relative = feature.sub(target).square().mean().div(energy);
                featureSum = add(featureSum, relative);
            }
        }
        NDArray boxWeight = TorchEngine.scalar(boxSum, temperature * temperature * (float) weights.box());
        NDArray box = boxSum.div(weightSum.add(TorchEngine.scalar(boxSum, 1e-9f))).mul(boxWeight);
        NDArray classWeight = TorchEngine.scalar(classSum, (float) weights.classes());
        NDArray classes = classSum.div(scoreSum.maximum(TorchEngine.scalar(scoreSum, 1f))).mul(classWeight);
        NDArray total = box.add(classes);
        float featureValue = 0;
        if (featureSum != null) {
            NDArray featureWeight = TorchEngine.scalar(featureSum, (float) weights.features());
            NDArray features = featureSum.div(TorchEngine.scalar(featureSum, scales.size())).mul(featureWeight);
            total = total.add(features);
            featureValue = features.getFloat();
        }
        return new Terms(total, box.getFloat(), classes.getFloat(), featureValue);
    }

    /**
     * KL(p ‖ q) of independent Bernoulli scores, p = σ(teacher), q = σ(student), elementwise; computed through
     * softplus so that large logits neither overflow nor lose the gradient.
     */
    private static NDArray bernoulliKl(NDArray teacherLogits, NDArray p, NDArray studentLogits) {
        NDArray logP = softplus(teacherLogits.neg()).neg();
        NDArray log1mP = softplus(teacherLogits).neg();
        NDArray logQ = softplus(studentLogits.neg()).neg();
        NDArray log1mQ = softplus(studentLogits).neg();
        return p.mul(logP.sub(logQ)).add(p.neg().add(TorchEngine.scalar(p, 1f)).mul(log1mP.sub(log1mQ)));
    }

    private static NDArray softplus(NDArray x) {
        return x.maximum(TorchEngine.scalar(x, 0f)).add(x.abs().neg().exp().add(TorchEngine.scalar(x, 1f)).log());
    }

    private static NDArray add(NDArray sum, NDArray term) {
        return sum == null ? term : sum.add(term);
    }

    @Override
    public void close() {
        manager.close();
    }
}
