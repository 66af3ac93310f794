import groovy.json.JsonSlurper

def log = new File(basedir, 'build.log').text
def out = new File(basedir, 'target/yolo-slim')
assert log =~ /Distilling .* from .*: 8 images, 1 epochs of 2 steps \(batch 4, 320×320\)/
assert log =~ /Epoch 1\/1: loss \d+\.\d{4}/
assert log.contains('Wrote yolov8n.distilled.onnx and distill-report.json')
assert log =~ /Calibrating yolov8n\.distilled\.onnx .* on 8 of 80 images/
assert log.contains('Candidate yolov8n.int8.onnx (newest pipeline output (calibrate))')
// The second build redoes nothing.
assert log.contains('Pruning up to date: yolov8n.pruned.onnx')
assert log.contains('Distillation up to date: yolov8n.distilled.onnx')
assert log.contains('Calibration up to date: yolov8n.int8.onnx')
assert log.count('Distilling ') == 1

def distill = new JsonSlurper().parse(new File(out, 'distill-report.json'))
assert distill.student.file == 'yolov8n.pruned.onnx'
assert distill.distilled.file == 'yolov8n.distilled.onnx'
assert distill.images.used == 8
assert distill.settings.epochs == 1 && distill.settings.imageSize == 320
assert distill.epochs.size() == 1 && distill.epochs[0].total > 0
assert distill.steps == 2

def calibration = new JsonSlurper().parse(new File(out, 'calibration.json'))
assert calibration.images.used == 8
def pipeline = new JsonSlurper().parse(new File(out, 'pipeline.json'))
assert pipeline.toString().contains('yolov8n.distilled.onnx')

def report = new JsonSlurper().parse(new File(out, 'map-report.json'))
assert report.verdict == 'PASSED'
assert report.candidate.evaluation.model.endsWith('yolov8n.int8.onnx')
return true
