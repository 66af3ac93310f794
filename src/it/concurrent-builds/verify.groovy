import groovy.json.JsonSlurper

import java.security.MessageDigest
import java.util.concurrent.TimeUnit

// Builds of this project in processes of their own, resolving as the invoker's builds do: the plugin from the
// ITs' local repository, everything else from the user's.
def mvn = new File(System.getProperty('maven.home'), 'bin/mvn').path
def settings = new File(basedir, 'it-settings.xml')
settings.text = new File(itSettings).text.replace('@localRepositoryUrl@', new File(mavenRepository).toURI().toString())
def build = { String name, List<String> properties ->
    List<String> command = [mvn, '-B', '-s', settings.path, "-Dmaven.repo.local=${localRepositoryPath}", '-f',
            new File(basedir, 'pom.xml').path, 'verify'] + properties
    command = command.collect { it.toString() }
    def log = new File(basedir, name + '.log')
    def process = new ProcessBuilder(command).directory(basedir).redirectErrorStream(true).redirectOutput(log).start()
    return [process: process, log: log]
}
def finish = { run ->
    assert run.process.waitFor(15, TimeUnit.MINUTES)
    assert run.process.exitValue() == 0: "${run.log.name} failed:\n${run.log.text}"
    return run.log.text
}
def candidateMap = { String log ->
    def rows = log.findAll(/candidate  \S+\s+(0\.\d{3})/) { all, map -> map }
    assert rows: 'no candidate row in the gate table'
    return rows.last()
}

def a = build('a', ['-Dit.method=mse'])
def b = build('b', ['-Dit.method=minmax'])
finish(a)
finish(b)

// A third build with A's settings gates what is on disk now; a fourth, in a fresh folder, evaluates the same
// (deterministic) INT8 model from scratch. A cache entry holding another model's score would make them differ.
def c = finish(build('c', ['-Dit.method=mse']))
def d = finish(build('d', ['-Dit.method=mse', '-Dit.output=' + new File(basedir, 'target/fresh').path]))
assert candidateMap(c) == candidateMap(d)

def out = new File(basedir, 'target/yolo-slim')
def report = new JsonSlurper().parse(new File(out, 'map-report.json'))
def int8 = new File(out, 'yolov8n.int8.onnx')
assert report.candidate.evaluation.sha256 == MessageDigest.getInstance('SHA-256').digest(int8.bytes).encodeHex().toString()
assert int8.bytes == new File(basedir, 'target/fresh/yolov8n.int8.onnx').bytes
// Every cached evaluation is of the bytes its name's key was made for: no entry names a model twice.
def entries = new File(out, 'cache').listFiles().findAll { it.name.startsWith('evaluation-') }
def evaluated = entries.collect { new JsonSlurper().parse(it).sha256 }
assert evaluated.size() == evaluated.toSet().size()
return true
