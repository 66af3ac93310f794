package io.github.yoloslim.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.yoloslim.data.CocoAnnotations;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Our evaluation against numbers computed by real pycocotools on the generated cases in
 * {@code src/test/resources/coco-parity/} (see the README there). Equality is exact: the implementation
 * follows pycocotools' arithmetic, numpy's pairwise mean included, so any difference is a bug.
 */
class CocoEvalParityTest {

    @ParameterizedTest
    @ValueSource(strings = {"basic", "ties", "crowded", "quirks", "mixed"})
    void statsAndPerCategoryApAreBitIdenticalToPycocotools(String name) throws IOException, URISyntaxException {
        Path dir = Path.of(getClass().getResource("/coco-parity/" + name).toURI());
        JsonNode expected = new ObjectMapper().readTree(dir.resolve("expected.json").toFile());
        CocoAnnotations gt = CocoAnnotations.read(dir.resolve("instances.json"));
        List<Detection> dts = DetectionsJson.read(dir.resolve("detections.json"));

        CocoEvalResult one = new CocoEvaluator(1).evaluate(gt, dts);
        CocoEvalResult three = new CocoEvaluator(3).evaluate(gt, dts);

        double[] stats = new double[12];
        for (int i = 0; i < 12; i++) {
            stats[i] = expected.get("stats").get(i).doubleValue();
        }
        assertThat(one.stats().toArray()).containsExactly(stats);
        List<CategoryAp> perCategory = new ArrayList<>();
        for (JsonNode c : expected.get("perCategory")) {
            perCategory.add(new CategoryAp(c.get("categoryId").intValue(), c.get("ap").doubleValue(),
                    c.get("ap50").doubleValue(), 0));
        }
        assertThat(one.perCategory()).usingRecursiveFieldByFieldElementComparatorIgnoringFields("gtCount")
                .containsExactlyElementsOf(perCategory);
        assertThat(three).isEqualTo(one);
    }

    /** AP50 and AP75 are the means of the curves over recall, so pycocotools' two numbers check the curves. */
    @ParameterizedTest
    @ValueSource(strings = {"basic", "ties", "crowded", "quirks", "mixed"})
    void precisionRecallCurvesAverageToPycocotoolsAp50AndAp75(String name) throws IOException, URISyntaxException {
        Path dir = Path.of(getClass().getResource("/coco-parity/" + name).toURI());
        JsonNode expected = new ObjectMapper().readTree(dir.resolve("expected.json").toFile());
        CocoEvalResult result = new CocoEvaluator(1).evaluate(CocoAnnotations.read(dir.resolve("instances.json")),
                DetectionsJson.read(dir.resolve("detections.json")));

        assertThat(result.curves()).extracting(PrecisionRecallCurve::iouThreshold).containsExactly(0.5, 0.75);
        for (int i = 0; i < 2; i++) {
            PrecisionRecallCurve curve = result.curves().get(i);
            assertThat(curve.recall()).hasSize(101).startsWith(0.0).endsWith(1.0);
            double mean = Arrays.stream(curve.precision()).filter(p -> p > -1).average().orElseThrow();
            assertThat(mean).isCloseTo(expected.get("stats").get(1 + i).doubleValue(), within(1e-12));
        }
    }
}
