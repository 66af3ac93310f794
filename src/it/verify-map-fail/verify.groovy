import groovy.json.JsonSlurper

def log = new File(basedir, 'build.log').text
assert log =~ /mAP50-95 dropped 0\.\d{3} \(0\.\d{3} → 0\.\d{3}\), more than <maxMapDrop>0\.010<\/maxMapDrop>/
assert log.contains('BUILD FAILURE')

def report = new JsonSlurper().parse(new File(basedir, 'target/yolo-slim/map-report.json'))
assert report.verdict == 'MAP_DROP_EXCEEDED'
assert report.mapDrop > 0.01
assert report.candidate.evaluation.model.endsWith('perturbed.onnx')

// CI test views see the gate as a failed test; the Markdown summary says FAIL.
def junit = javax.xml.parsers.DocumentBuilderFactory.newInstance().newDocumentBuilder()
        .parse(new File(basedir, 'target/yolo-slim/TEST-yolo-slim.xml')).documentElement
assert junit.getAttribute('failures') == '1'
def cases = junit.getElementsByTagName('testcase')
def failed = (0..<cases.length).collect { cases.item(it) }.find { it.getElementsByTagName('failure').length > 0 }
assert failed.getAttribute('classname') == 'yolo-slim.verify-map.candidate' && failed.getAttribute('name') == 'mAP50-95'
assert failed.getElementsByTagName('failure').item(0).getAttribute('type') == 'MAP_DROP_EXCEEDED'
assert new File(basedir, 'target/yolo-slim/map-report.md').text.startsWith('### yolo-slim verify-map: FAIL')
return true
