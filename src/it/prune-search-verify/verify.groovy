import groovy.json.JsonSlurper

def log = new File(basedir, 'build.log').text
def out = new File(basedir, 'target/yolo-slim')
assert log =~ /Pruning yolov8n\.onnx: 4960 prunable channels in 59 groups \(criterion variance\), recovery least-squares/
assert log =~ /Measured 57 activations on 16 images in .* \(channel means and covariances\)/
assert log =~ /Measured the sensitivity of 59 groups on 16 images/
assert log =~ /Search for the largest ratio within 0\.200 of mAP50-95 0\.\d{4}: ratios 0\.\d{3} \(the smallest that removes a channel after rounding\) to 0\.050, resolution 10%, at most 2 evaluations/
assert log =~ /Search step 1 of at most 2: ratio 0\.0\d\d \(start: /
assert log.contains('Search stopped after 2 evaluations: searchSteps evaluations spent')
assert log =~ /Distilling .* from .*: 8 images, 1 epochs of 2 steps \(batch 4, 320×320\)/
assert log =~ /ratio 0\.0\d\d: parameters −\d+\.\d%, MACs −\d+\.\d%, mAP50-95 0\.\d{4} after distillation/
assert log =~ /Least squares re-solved \d+ Convs in \d+ passes on 16 images/
assert log =~ /Search chose ratio 0\.0\d\d: parameters −\d+\.\d%, mAP50-95 drop -?0\.\d{4} within 0\.200/
assert log =~ /parameters 3,193,909 → [\d,]+ \(−\d+\.\d%\)/
assert log.contains('Candidate yolov8n.pruned.onnx (newest pipeline output (prune))')

def prune = new JsonSlurper().parse(new File(out, 'prune-report.json'))
assert prune.after.parameters < prune.before.parameters
assert prune.recovery.method == 'least-squares'
assert prune.recovery.layers.size() > 0
assert prune.recovery.layers.every { it.errorAfter <= it.errorBefore }
assert prune.search.trials.size() == 2
// 1/16 of maxRatio (0.003) or, where that removes nothing after rounding, the smallest reduction (0.005 measured).
assert prune.search.trials[0].ratio == [prune.search.smallestRatio, 0.003].max()
assert prune.search.trials[0].reason.startsWith('start: ')
assert prune.search.trials[1].ratio > prune.search.trials[0].ratio
assert prune.search.trials.every { it.distillationLoss > 0 && it.distillationSeconds > 0 }
assert prune.search.distillation.settings.epochs == 1
assert prune.search.distillation.settings.imageSize == 320
assert prune.search.distillation.images.used == 8
assert prune.notes.any { it.startsWith('Distilled for 1 epochs on 8 training images') }
assert prune.search.trials.every { it.withinTarget && it.channelsRemoved > 0 && it.parameters < prune.before.parameters }
assert prune.search.curve*.ratio == prune.search.trials*.ratio.sort()
assert prune.search.chosenRatio == prune.search.trials[1].ratio
assert prune.search.failedRatio == null
assert prune.search.stopped == 'searchSteps evaluations spent'
assert prune.selection.ratio == prune.search.chosenRatio
assert prune.groups.every { it.sensitivity != null }
def report = new JsonSlurper().parse(new File(out, 'map-report.json'))
assert report.verdict == 'PASSED'
assert report.candidate.evaluation.model.endsWith('yolov8n.pruned.onnx')
return true
