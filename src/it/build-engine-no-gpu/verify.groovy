def log = new File(basedir, 'build.log').text
assert log =~ /TensorRT engines cannot be built here: no (CUDA driver|CUDA runtime|TensorRT libraries|CUDA GPU)/
assert log.contains('linux-x86_64-redist')
assert log.contains('<onMissingTensorRt>skip</onMissingTensorRt>')
assert log.contains('Skipping build-engine (<onMissingTensorRt>skip</onMissingTensorRt>)')
assert !new File(basedir, 'target/yolo-slim/yolov8n.plan').exists()
return true
