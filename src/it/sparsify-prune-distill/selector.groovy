// Runs only where the real model and data are present (../shared, or -Dyoloslim.shared=<folder>).
def present = new File(sharedDir, 'models/yolov8n.onnx').isFile()
if (!present) {
    println "Skipping: the real model is not in ${sharedDir}"
}
return present
