import io.github.yoloslim.testing.ModelPerturbation
import java.nio.file.Path

// The candidate: the real model with 5% multiplicative noise (about 3 points of mAP50-95 lost) on every convolution weight.
def target = new File(basedir, 'target/perturbed.onnx').toPath()
ModelPerturbation.perturbConvWeights(Path.of(sharedDir, 'models', 'yolov8n.onnx'), target, 0.05d, 42L)
return true
