package io.github.yoloslim.eval;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.github.yoloslim.onnx.ModelOverrides;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.onnx.OutputLayout;
import io.github.yoloslim.onnx.YoloModelInfo;
import io.github.yoloslim.onnx.YoloModelInspector;
import io.github.yoloslim.runtime.DetectorOutput;
import io.github.yoloslim.runtime.DetectorSession;
import io.github.yoloslim.testing.TinyDetectors;
import io.github.yoloslim.testing.TinyDetectors.Box;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

/** Runs real tiny ONNX detectors through ONNX Runtime and decodes their output. */
class YoloDecoderTest {

    private static final List<String> NAMES = List.of("person", "bicycle", "car");

    @TempDir
    Path dir;

    private List<BoxCandidate> decode(List<Box> boxes, DecodeSettings settings, boolean anchorsFirst, int batch)
            throws Exception {
        return run(TinyDetectors.constant(32, batch, NAMES, 16, boxes, anchorsFirst), settings, anchorsFirst);
    }

    private List<BoxCandidate> run(ModelProto model, DecodeSettings settings,
            boolean anchorsFirst) throws Exception {
        Path file = dir.resolve("m.onnx");
        OnnxModel.of(model).save(file);
        YoloModelInfo info = YoloModelInspector.inspect(OnnxModel.load(file, "<model>"), "<model>",
                ModelOverrides.NONE);
        try (DetectorSession session = DetectorSession.open(file, info, 1, "<model>")) {
            int images = session.batchCapacity(2);
            DetectorOutput output = session.run(new float[images * 3 * 32 * 32], images);
            assertThat(output.layout()).isEqualTo(anchorsFirst ? OutputLayout.ANCHORS_FIRST : OutputLayout.ATTRIBUTES_FIRST);
            List<BoxCandidate> first = new YoloDecoder(settings, NAMES.size()).decode(output, 0);
            assertThat(new YoloDecoder(settings, NAMES.size()).decode(output, images - 1)).isEqualTo(first);
            return first;
        }
    }

    @Test
    void decodesCentreSizeToCorners() throws Exception {
        List<BoxCandidate> out = decode(List.of(new Box(10, 12, 4, 6, 2, 0.9f)), DecodeSettings.VALIDATION, false, 1);
        assertThat(out).containsExactly(new BoxCandidate(8, 9, 12, 15, 0.9f, 2));
    }

    @Test
    void transposedOutputAndDynamicBatchDecodeTheSame() throws Exception {
        List<BoxCandidate> out = decode(List.of(new Box(10, 12, 4, 6, 2, 0.9f)), DecodeSettings.VALIDATION, true, 0);
        assertThat(out).containsExactly(new BoxCandidate(8, 9, 12, 15, 0.9f, 2));
    }

    @Test
    void multiLabelKeepsEveryClassAboveThresholdSingleLabelOnlyTheBest() throws Exception {
        // One anchor scoring class 0 at 0.3 and class 1 at 0.8: the same box twice, once per class.
        var model = TinyDetectors.constantAnchors(32, 1, NAMES, 16,
                List.of(new TinyDetectors.Anchor(16, 16, 8, 8, 0.3f, 0.8f, 0f)), false);
        assertThat(run(model, DecodeSettings.VALIDATION, false))
                .extracting(BoxCandidate::classIndex, BoxCandidate::score)
                .containsExactly(tuple(1, 0.8f), tuple(0, 0.3f));
        assertThat(run(model, new DecodeSettings(0.001, 0.7, 300, false), false))
                .extracting(BoxCandidate::classIndex).containsExactly(1);
    }

    @Test
    void nmsSuppressesOnlyWithinAClassAndOnlyAboveTheIouThreshold() throws Exception {
        // Box B is shifted by 1 px from A: IoU = 7·8 / (64 + 64 − 56) = 0.778 > 0.7, suppressed.
        // Box C is shifted by 2 px: IoU = 6·8 / (128 − 48) = 0.6, kept. Box D equals A but is another class.
        List<Box> boxes = List.of(new Box(16, 16, 8, 8, 0, 0.9f), new Box(17, 16, 8, 8, 0, 0.8f),
                new Box(18, 16, 8, 8, 0, 0.7f), new Box(16, 16, 8, 8, 1, 0.6f));
        List<BoxCandidate> out = decode(boxes, DecodeSettings.VALIDATION, false, 1);
        assertThat(out).extracting(BoxCandidate::score).containsExactly(0.9f, 0.7f, 0.6f);
        assertThat(out).extracting(BoxCandidate::classIndex).containsExactly(0, 0, 1);
    }

    @Test
    void thresholdIsStrictAndMaxDetectionsKeepsTheHighest() throws Exception {
        List<Box> boxes = List.of(new Box(4, 4, 2, 2, 0, 0.25f), new Box(12, 4, 2, 2, 0, 0.5f),
                new Box(20, 4, 2, 2, 0, 0.75f), new Box(28, 4, 2, 2, 0, 0.001f));
        assertThat(decode(boxes, DecodeSettings.VALIDATION, false, 1)).hasSize(3);
        assertThat(decode(boxes, new DecodeSettings(0.25, 0.7, 2, true), false, 1))
                .extracting(BoxCandidate::score).containsExactly(0.75f, 0.5f);
    }

    @Test
    void equalScoresKeepAnchorOrder() throws Exception {
        List<Box> boxes = List.of(new Box(4, 4, 2, 2, 0, 0.5f), new Box(12, 4, 2, 2, 1, 0.5f),
                new Box(20, 4, 2, 2, 2, 0.5f));
        assertThat(decode(boxes, DecodeSettings.VALIDATION, false, 1))
                .extracting(BoxCandidate::classIndex).containsExactly(0, 1, 2);
    }
}
