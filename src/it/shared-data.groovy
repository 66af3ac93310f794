// Included by the selectors of ITs that need the real model and data in ../shared: skip them when absent.
def model = new File(sharedDir, 'models/yolov8n.onnx')
if (!model.isFile()) {
    println "Skipping: ${model} is absent (real model and data live in ../shared; -Dyoloslim.shared=<folder> points elsewhere)"
    return false
}
return true
