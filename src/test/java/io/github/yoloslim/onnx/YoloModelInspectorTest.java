package io.github.yoloslim.onnx;

import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.testing.SharedData;
import io.github.yoloslim.testing.TinyDetectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class YoloModelInspectorTest {

    private static final List<String> NAMES = List.of("person", "bicycle", "car");

    @TempDir
    Path dir;

    private OnnxModel saveAndLoad(ai.onnx.proto.OnnxMl.ModelProto proto) throws Exception {
        Path file = dir.resolve("model.onnx");
        OnnxModel.of(proto).save(file);
        return OnnxModel.load(file, "<model>");
    }

    @Test
    void recognisesDetectorWithMetadata() throws Exception {
        OnnxModel model = saveAndLoad(TinyDetectors.constant(64, 1, NAMES, 84, List.of()));
        YoloModelInfo info = YoloModelInspector.inspect(model, "<model>", ModelOverrides.NONE);
        assertThat(info.inputName()).isEqualTo("images");
        assertThat(info.outputName()).isEqualTo("output0");
        assertThat(info.layout()).isEqualTo(OutputLayout.ATTRIBUTES_FIRST);
        assertThat(info.classNames()).isEqualTo(NAMES);
        assertThat(info.classNamesSource()).isEqualTo("from model metadata");
        assertThat(info.inputHeight()).isEqualTo(64);
        assertThat(info.inputWidth()).isEqualTo(64);
        assertThat(info.fixedBatch()).isEqualTo(1);
        assertThat(model.opsetVersion()).isEqualTo(17);
        assertThat(model.irVersion()).isEqualTo(8);
    }

    @Test
    void dynamicBatchAndConfiguredNamesOverrideMetadata() throws Exception {
        OnnxModel model = saveAndLoad(TinyDetectors.constant(64, 0, NAMES, 84, List.of()));
        YoloModelInfo info = YoloModelInspector.inspect(model, "<model>",
                new ModelOverrides(0, List.of("a", "b", "c")));
        assertThat(info.fixedBatch()).isZero();
        assertThat(info.classNames()).containsExactly("a", "b", "c");
        assertThat(info.classNamesSource()).isEqualTo("from <classNames>");
    }

    @Test
    void generatesNamesWhenMetadataHasNone() throws Exception {
        Map<String, String> drop = new HashMap<>();
        drop.put("names", null);
        OnnxModel model = saveAndLoad(TinyDetectors.withMetadata(TinyDetectors.constant(64, 1, NAMES, 84, List.of()), drop));
        YoloModelInfo info = YoloModelInspector.inspect(model, "<model>", ModelOverrides.NONE);
        assertThat(info.classNames()).containsExactly("class0", "class1", "class2");
    }

    @Test
    void wrongNumberOfConfiguredNamesIsRefused() throws Exception {
        OnnxModel model = saveAndLoad(TinyDetectors.constant(64, 1, NAMES, 84, List.of()));
        assertThatThrownBy(() -> YoloModelInspector.inspect(model, "<model>", new ModelOverrides(0, List.of("a"))))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("<classNames> gives 1 class names but <model>")
                .hasMessageContaining("outputs 3 class scores");
    }

    @Test
    void tooFewConfiguredNamesNameClassNamesBothCountsAndTheFix() throws Exception {
        List<String> eighty = java.util.stream.IntStream.range(0, 80).mapToObj(i -> "c" + i).toList();
        OnnxModel model = saveAndLoad(TinyDetectors.constant(64, 1, eighty, 8400, List.of()));
        for (List<String> given : List.of(eighty.subList(0, 20), eighty.subList(0, 1), eighty.subList(0, 79))) {
            assertThatThrownBy(() -> YoloModelInspector.inspect(model, "<model>", new ModelOverrides(0, given)))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageStartingWith("<classNames> gives " + given.size() + " class names but <model> ")
                    .hasMessageContaining("outputs 80 class scores. Give all 80 class names in <classNames>")
                    .hasMessageNotContaining("head");
        }
    }

    @Test
    void imageSizeOverrideMustFitFixedInput() throws Exception {
        OnnxModel model = saveAndLoad(TinyDetectors.constant(64, 1, NAMES, 84, List.of()));
        assertThatThrownBy(() -> YoloModelInspector.inspect(model, "<model>", new ModelOverrides(320, List.of())))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("<imageSize> 320")
                .hasMessageContaining("fixed at 64x64");
    }

    @Test
    void refusesClassifier() throws Exception {
        Map<String, String> noTask = new HashMap<>();
        noTask.put("task", null);
        OnnxModel model = saveAndLoad(TinyDetectors.withMetadata(TinyDetectors.classifier(32, 10), noTask));
        assertThatThrownBy(() -> YoloModelInspector.inspect(model, "<candidate>", ModelOverrides.NONE))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("<candidate>")
                .hasMessageContaining("not a YOLOv8 detection model")
                .hasMessageContaining("what a classifier outputs");
    }

    @Test
    void refusesOtherTasksByMetadata() throws Exception {
        OnnxModel model = saveAndLoad(TinyDetectors.withMetadata(TinyDetectors.constant(64, 1, NAMES, 84, List.of()),
                Map.of("task", "segment")));
        assertThatThrownBy(() -> YoloModelInspector.inspect(model, "<model>", ModelOverrides.NONE))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("'segment' model");
    }

    @Test
    void refusesAnOutputThatDoesNotFitTheClasses() throws Exception {
        // 56 values per box with one class is a pose head (4 + 1 + 17×3 keypoints).
        OnnxModel model = saveAndLoad(TinyDetectors.withMetadata(
                TinyDetectors.constant(64, 1, java.util.Collections.nCopies(52, "x"), 84, List.of()),
                Map.of("names", "{0: 'person'}")));
        assertThatThrownBy(() -> YoloModelInspector.inspect(model, "<model>", ModelOverrides.NONE))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("4+1 = 5 values per box");
    }

    @Test
    void missingAndCorruptFilesAreClearErrors() throws Exception {
        Path missing = dir.resolve("missing.onnx");
        assertThatThrownBy(() -> OnnxModel.load(missing, "<model>"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("<model> " + missing + " does not exist");
        Path corrupt = dir.resolve("corrupt.onnx");
        Files.writeString(corrupt, "version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 123\n");
        assertThatThrownBy(() -> OnnxModel.load(corrupt, "<model>"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("is not a valid ONNX model");
    }

    @Test
    void realYolov8nIsRecognised() throws Exception {
        Path file = SharedData.require("models/yolov8n.onnx");
        OnnxModel model = OnnxModel.load(file, "<model>");
        YoloModelInfo info = YoloModelInspector.inspect(model, "<model>", ModelOverrides.NONE);
        assertThat(info.numClasses()).isEqualTo(80);
        assertThat(info.classNames().get(0)).isEqualTo("person");
        assertThat(info.classNames().get(79)).isEqualTo("toothbrush");
        assertThat(info.inputHeight()).isEqualTo(640);
        assertThat(info.outputShape()).hasToString("[1, 84, 8400]");
        assertThat(model.metadata()).containsEntry("stride", "32");
        // The published weight-only INT8 variant loads too (opset 20, DynamicQuantizeLinear nodes).
        OnnxModel int8 = OnnxModel.load(SharedData.require("models/yolov8n.int8-dynamic.onnx"), "<model>");
        assertThat(int8.opsetVersion()).isEqualTo(20);
        assertThat(YoloModelInspector.inspect(int8, "<model>", ModelOverrides.NONE).numClasses()).isEqualTo(80);
    }

    @Test
    void saveKeepsTheModelByteForByte() throws Exception {
        Path file = SharedData.require("models/yolov8n.onnx");
        OnnxModel model = OnnxModel.load(file, "<model>");
        Path copy = dir.resolve("copy.onnx");
        model.save(copy);
        assertThat(Files.readAllBytes(copy)).isEqualTo(Files.readAllBytes(file));
        float[] stem = GraphView.floats(model.graphView().initializers().values().iterator().next());
        assertThat(stem).isNotEmpty();
    }
}
