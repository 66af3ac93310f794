import groovy.json.JsonSlurper

def log = new File(basedir, 'build.log').text
def out = new File(basedir, 'target/yolo-slim')
assert log =~ /Sparsity-training \d+ channel groups \(penalty 0\.001, scale learning rate 0\.01, weights frozen\) of .*: 8 images, 1 epochs of 2 steps \(batch 4, 320×320\)/
assert log =~ /channel scales: mean \|s\| \d\.\d{3}, \d+ of \d+ below 0\.01/
assert log.contains('wrote yolov8n.sparse.onnx and sparsify-report.json')
assert log =~ /Pruning yolov8n\.sparse\.onnx: \d+ prunable channels in \d+ groups \(criterion scale\)/
assert log =~ /Removing [1-9]\d* channels \(threshold 0\.995\)/
assert log =~ /Distilling .*yolov8n\.pruned\.onnx from .*: 8 images, 1 epochs of 2 steps \(batch 4, 320×320\)/
assert log =~ /Epoch 1\/1: loss \d+\.\d{4}/
assert log.contains('Wrote yolov8n.distilled.onnx and distill-report.json')
assert log =~ /Calibrating yolov8n\.distilled\.onnx .* on 8 of 80 images/
assert log.contains('Candidate yolov8n.int8.onnx (newest pipeline output (calibrate))')
// The second build redoes nothing.
assert log.contains('Sparsity training up to date: yolov8n.sparse.onnx')
assert log.contains('Pruning up to date: yolov8n.pruned.onnx')
assert log.contains('Distillation up to date: yolov8n.distilled.onnx')
assert log.contains('Calibration up to date: yolov8n.int8.onnx')
assert log.count('Distilling ') == 1

def sparsify = new JsonSlurper().parse(new File(out, 'sparsify-report.json'))
assert sparsify.sparse.file == 'yolov8n.sparse.onnx'
assert sparsify.sparsity.threshold == 0.01
assert sparsify.belowThreshold >= 0 && sparsify.belowThreshold <= sparsify.channels
assert sparsify.groups.every { g -> g.histogram.sum { it.count } == g.channels }
def prune = new JsonSlurper().parse(new File(out, 'prune-report.json'))
assert prune.model == 'yolov8n.sparse.onnx'
assert prune.after.parameters < prune.before.parameters

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
