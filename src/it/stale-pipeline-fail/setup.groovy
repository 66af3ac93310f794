// models/a/model.onnx is the real yolov8n; models/b/model.onnx the same network with other metadata, so its
// content (and hash) differs while its file name is the same.
import ai.onnx.proto.OnnxMl.ModelProto
import ai.onnx.proto.OnnxMl.StringStringEntryProto

def source = new File(sharedDir, 'models/yolov8n.onnx')
def a = new File(basedir, 'models/a/model.onnx')
def b = new File(basedir, 'models/b/model.onnx')
a.parentFile.mkdirs()
b.parentFile.mkdirs()
a.bytes = source.bytes
def edited = ModelProto.parseFrom(source.bytes).toBuilder()
        .addMetadataProps(StringStringEntryProto.newBuilder().setKey('it').setValue('model b'))
        .build()
b.bytes = edited.toByteArray()
return true
