import groovy.json.JsonSlurper

def log = new File(basedir, 'build.log').text
assert log.contains('Evaluating baseline yolov8n.onnx on 16 images')
// No pipeline output: the candidate is <model> itself, whose evaluation is the baseline's.
assert log.contains('Candidate yolov8n.onnx (<model> itself: no pipeline output recorded in ')
assert log.contains('Candidate yolov8n.onnx has the same content as the baseline; reusing its evaluation')
assert !log.contains('Evaluating candidate')
assert log =~ /Baseline yolov8n\.onnx: up to date \(mAP50-95 0\.\d{3}/
assert log.contains('within <maxMapDrop>0.010</maxMapDrop>')

def report = new JsonSlurper().parse(new File(basedir, 'target/yolo-slim/map-report.json'))
assert report.verdict == 'PASSED'
// The second build found the same evaluations and verdict, so it kept the report the first build wrote.
assert log =~ /Report up to date: .*map-report\.json \(written \S+\) shows the same evaluations and verdict/
assert report.baseline.upToDate == false
assert report.baseline.evaluation.images == 16
assert report.baseline.evaluation.stats.ap > 0.2
assert report.mapDrop == 0
assert report.dataset.format == 'coco'
return true
