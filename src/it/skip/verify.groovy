def log = new File(basedir, 'build.log').text
assert log.contains('Skipping yolo-slim:verify-map: yoloslim.verify.skip is true')
assert log.contains('Skipping yolo-slim:verify-map: yoloslim.skip is true')
return true
