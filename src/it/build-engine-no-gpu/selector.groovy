// Runs where the real model is present and there is no NVIDIA GPU (on a GPU machine the engine would be built).
def model = new File(sharedDir, 'models/yolov8n.onnx').isFile()
def gpu = new File('/dev/nvidia0').exists()
if (!model || gpu) {
    println "Skipping: ${!model ? 'the real model is not in ' + sharedDir : 'this machine has an NVIDIA GPU'}"
}
return model && !gpu
