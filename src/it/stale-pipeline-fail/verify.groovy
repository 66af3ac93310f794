import groovy.json.JsonSlurper

def log = new File(basedir, 'build.log').text
// Build 2: the pruned model of A is passed over, with the reason.
assert log.contains('Skipping yolo-slim:prune: yoloslim.prune.skip is true')
assert log.contains('[WARNING] prune output model.pruned.onnx was made from another <model> (its <model> had sha256 ')
assert log.contains('; calibrate takes <model> instead. Rerun that stage or run `mvn clean` if the pipeline should start over.')
def calibrations = log.findAll(/Calibrating (\S+) \(/)
assert calibrations == ['Calibrating model.pruned.onnx (', 'Calibrating model.onnx (']
// Build 3: verify-map names the stale output and the fix instead of gating it.
assert log.contains('verify-map has no model to gate: calibrate output model.int8.onnx was made from another <model>')
assert log.contains('Rerun calibrate (it may be skipped: -Dyoloslim.calibrate.skip), run `mvn clean`, or name the model to gate with <candidate>.')

def out = new File(basedir, 'target/yolo-slim')
def pipeline = new JsonSlurper().parse(new File(out, 'pipeline.json'))
def b = new File(basedir, 'models/b/model.onnx')
def sha = java.security.MessageDigest.getInstance('SHA-256').digest(b.bytes).encodeHex().toString()
assert pipeline.stages.calibrate.modelSha256 == sha
assert pipeline.stages.calibrate.input.from == '<model>'
assert pipeline.stages.prune.modelSha256 != sha
// The failed run left no report that could be mistaken for a verdict.
assert !new File(out, 'map-report.json').exists()
return true
