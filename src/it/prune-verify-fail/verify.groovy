def log = new File(basedir, 'build.log').text
assert log =~ /Pruning yolov8n\.onnx: \d+ of 4960 prunable channels/
assert log =~ /mAP50-95 dropped 0\.\d{3} \(0\.\d{3} → 0\.\d{3}\), more than <maxMapDrop>0\.050<\/maxMapDrop>/
assert new File(basedir, 'target/yolo-slim/yolov8n.pruned.onnx').isFile()
return true
