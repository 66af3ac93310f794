import groovy.json.JsonSlurper

def log = new File(basedir, 'build.log').text
assert log =~ /mAP50-95 dropped 0\.\d{3} \(0\.\d{3} → 0\.\d{3}\), more than <maxMapDrop>0\.010<\/maxMapDrop>/
assert log.contains('BUILD FAILURE')

def report = new JsonSlurper().parse(new File(basedir, 'target/yolo-slim/map-report.json'))
assert report.verdict == 'MAP_DROP_EXCEEDED'
assert report.mapDrop > 0.01
assert report.candidate.evaluation.model.endsWith('perturbed.onnx')

// CI test views see the gate as a failed test; the Markdown summary says FAIL.
def junit = new XmlSlurper().parse(new File(basedir, 'target/yolo-slim/TEST-yolo-slim.xml'))
assert junit.@failures == '1'
def failed = junit.testcase.find { it.failure.size() > 0 }
assert failed.@classname == 'yolo-slim.verify-map.candidate' && failed.@name == 'mAP50-95'
assert failed.failure.@type == 'MAP_DROP_EXCEEDED'
assert new File(basedir, 'target/yolo-slim/map-report.md').text.startsWith('### yolo-slim verify-map: FAIL')
return true
