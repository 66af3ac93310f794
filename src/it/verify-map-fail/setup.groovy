import io.github.yoloslim.testing.ModelPerturbation
import java.nio.file.Path

// The candidate: the real model with 30% multiplicative noise on every convolution weight.
def target = new File(basedir, 'target/perturbed.onnx').toPath()
ModelPerturbation.perturbConvWeights(Path.of(sharedDir, 'models', 'yolov8n.onnx'), target, 0.3d, 42L)
return true
