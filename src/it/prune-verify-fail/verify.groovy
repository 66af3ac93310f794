def log = new File(basedir, 'build.log').text
assert log =~ /Pruning yolov8n\.onnx: 4960 prunable channels in 59 groups \(criterion reconstruction\), recovery means/
assert log =~ /Removing \d+ channels \(ratio 0\.300\)/
assert log =~ /mAP50-95 dropped 0\.\d{3} \(0\.\d{3} → 0\.\d{3}\), more than <maxMapDrop>0\.050<\/maxMapDrop>/
assert new File(basedir, 'target/yolo-slim/yolov8n.pruned.onnx').isFile()
return true
