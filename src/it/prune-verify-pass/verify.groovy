import groovy.json.JsonSlurper

def log = new File(basedir, 'build.log').text
def out = new File(basedir, 'target/yolo-slim')
assert log =~ /Pruning yolov8n\.onnx: \d+ of 4960 prunable channels in 59 groups \(criterion l1, ratio 0\.020\)/
assert log =~ /Measured the channel means of \d+ activations on 16 images/
assert log =~ /parameters 3,193,909 → [\d,]+ \(−\d+\.\d%\)/
assert log.contains('Candidate yolov8n.pruned.onnx (newest pipeline output (prune))')

def prune = new JsonSlurper().parse(new File(out, 'prune-report.json'))
assert prune.after.parameters < prune.before.parameters
assert prune.after.macs < prune.before.macs
def report = new JsonSlurper().parse(new File(out, 'map-report.json'))
assert report.verdict == 'PASSED'
assert report.candidate.evaluation.model.endsWith('yolov8n.pruned.onnx')
return true
