def log = new File(basedir, 'build.log').text
assert log =~ /<model> \S+model\.onnx is not a valid ONNX model/
assert log.contains('Git LFS pointer')
assert !new File(basedir, 'target/yolo-slim/map-report.json').exists()
return true
