import groovy.json.JsonSlurper

def log = new File(basedir, 'build.log').text
def out = new File(basedir, 'target/yolo-slim')
assert log.contains('Calibrating yolov8n.onnx (tensorrt layout, s8s8: Q/DQ on 64 activations, 52 measured) on 16 of 80 images')
assert log.contains('Calibration up to date: yolov8n.int8.onnx and calibration.cache')
assert log.contains('Candidate yolov8n.int8.onnx (newest pipeline output (calibrate))')
assert log =~ /Candidate yolov8n\.int8\.onnx: up to date \(mAP50-95 0\.\d{3}/

assert new File(out, 'calibration.cache').readLines()[0] == 'TRT-101501-EntropyCalibration2'
def calibration = new JsonSlurper().parse(new File(out, 'calibration.json'))
assert calibration.method == 'mse'
assert calibration.int8Encoding == 's8s8'
assert calibration.images.used == 16

def report = new JsonSlurper().parse(new File(out, 'map-report.json'))
assert report.verdict == 'PASSED'
assert report.candidate.evaluation.model.endsWith('yolov8n.int8.onnx')
assert report.mapDrop < 0.02

// report.html: rebuilt after each goal, with both goals' sections and their inline plots; it loads nothing.
def page = new File(out, 'report.html').text
assert page.contains('<section id="pipeline">')
assert page.contains('<section id="calibrate">')
def verify = (page =~ /(?s)<section id="verify-map">(.*?)<\/section>/)
assert verify.find()
assert verify.group(1).contains('class="verdict pass"')
assert verify.group(1).count('<svg ') == 3
assert !(page =~ /(src|href)=["']https?:/)
return true
