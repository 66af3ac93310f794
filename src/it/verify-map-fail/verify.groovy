import groovy.json.JsonSlurper

def log = new File(basedir, 'build.log').text
assert log =~ /mAP50-95 dropped 0\.\d{3} \(0\.\d{3} → 0\.\d{3}\), more than <maxMapDrop>0\.010<\/maxMapDrop>/
assert log.contains('BUILD FAILURE')

def report = new JsonSlurper().parse(new File(basedir, 'target/yolo-slim/map-report.json'))
assert report.verdict == 'MAP_DROP_EXCEEDED'
assert report.mapDrop > 0.01
assert report.candidate.evaluation.model.endsWith('perturbed.onnx')
return true
