package io.github.yoloslim.eval;

import io.github.yoloslim.data.Category;
import io.github.yoloslim.data.Dataset;
import io.github.yoloslim.data.DatasetFormat;
import io.github.yoloslim.data.DatasetImage;
import io.github.yoloslim.data.DatasetLoader;
import io.github.yoloslim.data.UnreadableImagePolicy;
import io.github.yoloslim.onnx.ModelOverrides;
import io.github.yoloslim.progress.ProgressListener;
import io.github.yoloslim.testing.SharedData;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The real YOLOv8n through the whole CPU pipeline, against numbers measured independently with OpenCV, ONNX
 * Runtime and pycocotools (../shared/README.md). Skipped where ../shared is absent.
 */
class RealModelEvaluationTest {

    private static ModelEvaluation evaluate(boolean multiLabel) throws Exception {
        Path model = SharedData.require("models/yolov8n.onnx");
        Dataset dataset = DatasetLoader.load(SharedData.require("data/coco-tiny/val2017"), null, null, 0).dataset();
        EvaluationSettings settings = new EvaluationSettings(new DecodeSettings(0.001, 0.7, 300, multiLabel),
                ModelOverrides.NONE, 0, 0, UnreadableImagePolicy.FAIL);
        return new ModelEvaluator(settings, ProgressListener.silent()).evaluate(model, "<model>", "baseline", dataset);
    }

    @Test
    void multiLabelMapMatchesTheReferencePipeline() throws Exception {
        ModelEvaluation evaluation = evaluate(true);
        assertThat(evaluation.images()).isEqualTo(80);
        assertThat(evaluation.stats().ap()).isCloseTo(0.391, within(0.003));
        assertThat(evaluation.stats().ap50()).isCloseTo(0.548, within(0.003));
    }

    @Test
    void singleLabelMapMatchesTheReferencePipeline() throws Exception {
        ModelEvaluation evaluation = evaluate(false);
        assertThat(evaluation.stats().ap()).isCloseTo(0.378, within(0.003));
        assertThat(evaluation.stats().ap50()).isCloseTo(0.528, within(0.003));
    }

    @Test
    void busSampleHasFourPersonsAndABus() throws Exception {
        Path model = SharedData.require("models/yolov8n.onnx");
        Path bus = SharedData.require("data/samples/bus.jpg");
        List<Category> coco = SharedData.cocoCategories();
        Dataset dataset = new Dataset("bus", DatasetFormat.COCO, List.of(new DatasetImage(1, bus, 554, 740)), coco,
                List.of());
        EvaluationSettings settings = new EvaluationSettings(new DecodeSettings(0.25, 0.7, 300, false),
                ModelOverrides.NONE, 0, 0, UnreadableImagePolicy.FAIL);
        List<Detection> detections = new ModelEvaluator(settings, ProgressListener.silent())
                .detect(model, "<model>", dataset);
        Map<Integer, Long> perCategory = detections.stream()
                .collect(Collectors.groupingBy(Detection::categoryId, Collectors.counting()));
        Map<String, Integer> ids = coco.stream().collect(Collectors.toMap(Category::name, Category::id));
        assertThat(perCategory).containsOnlyKeys(ids.get("person"), ids.get("bus"));
        assertThat(perCategory.get(ids.get("person"))).isEqualTo(4);
        assertThat(perCategory.get(ids.get("bus"))).isEqualTo(1);
        Detection busBox = detections.stream().filter(d -> d.categoryId() == ids.get("bus")).findFirst().orElseThrow();
        assertThat(busBox.score()).isCloseTo(0.82, within(0.05));
        List<Double> personScores = detections.stream().filter(d -> d.categoryId() == ids.get("person"))
                .map(Detection::score).sorted().toList();
        assertThat(personScores.get(0)).isCloseTo(0.37, within(0.06));
        assertThat(personScores.subList(1, 4)).allSatisfy(s -> assertThat(s).isCloseTo(0.9, within(0.05)));
        // Boxes lie inside the 554×740 image.
        assertThat(detections).allSatisfy(d -> {
            assertThat(d.x()).isBetween(0.0, 554.0);
            assertThat(d.x() + d.width()).isLessThanOrEqualTo(554.0);
            assertThat(d.y() + d.height()).isLessThanOrEqualTo(740.0);
        });
    }
}
