package io.github.yoloslim.eval;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The benchmark's COCO-shaped cases, generated here from their seeds, evaluated as {@link CocoEvalMain} does
 * (both files read at once, the detections in parallel chunks) on one and on two threads: the 12 stats must
 * be exactly pycocotools'.
 *
 * <p>The expected numbers came from pycocotools 2.0.11 (ppwwyyxx/cocoapi at ac87f50, its Cython {@code _mask}
 * built with Cython 0.29.32) under numpy 2.4.6, run outside this project as
 * {@code COCOeval(gt, gt.loadRes(dt), "bbox")}, {@code evaluate(); accumulate(); summarize()} on the files
 * {@link CocoShapeGenerator} writes for each shape (its seed is in {@link CocoShapeGenerator#SHAPES}). The
 * seventh shape, 100 000 images x 300 detections, has no reference: for the 1.5 million detections of
 * 100k-images pycocotools already took 10.5 GB and 345 s of CPU.
 * numpy 1.x sums a mean of more than 8 192 values in blocks of 8 192, and then differs in the last bit of
 * some of them (APm and APl of val2017-like under numpy 1.24.2); numpy 2 sums pairwise throughout.
 */
class CocoShapeParityTest {

    private static final Map<String, double[]> PYCOCOTOOLS = Map.of(
            "val2017-like", new double[] {0.3177810916888844, 0.49841952119538796, 0.3141321789964919,
                0.33086028308275206, 0.3210473271867767, 0.3299037318514737, 0.18892887090944988,
                0.6403883677345574, 0.7381401846648078, 0.7385868845020022, 0.7374865443211016,
                0.739819567069166},
            "sparse-ids", new double[] {0.31073679590727915, 0.4902051722244768, 0.3077670310961186,
                0.3277953977684848, 0.31436829011736356, 0.31524777574597845, 0.18774858536889624,
                0.6362116778421063, 0.730570714594486, 0.732358129101111, 0.722395675142483,
                0.7375907068113873},
            "many-categories", new double[] {0.26816154432647427, 0.4654350735113274, 0.2524966264131334,
                0.2763552397491002, 0.26710510332588183, 0.2665418313354941, 0.26138607113851753,
                0.5397661975876129, 0.5405950795581984, 0.5388311848168169, 0.5409240327352284,
                0.5434508113798404},
            "crowd", new double[] {0.33634094063605213, 0.5169224707673948, 0.3360296266467346,
                0.3607647832203996, 0.3318992672747267, 0.35088842889171884, 0.1880140508256227,
                0.6406683993077924, 0.7329358266221898, 0.7292589569527624, 0.7247587095733306,
                0.7500091368103415},
            "dets-300", new double[] {0.4038501676251227, 0.5988040082112215, 0.40249873647000844,
                0.42259154379254954, 0.40635877464384074, 0.41231830409130515, 0.20507588834918075,
                0.7719116050986702, 0.9946440878977262, 0.9945305551281599, 0.9945482150955026,
                0.9949734505434228},
            "100k-images", new double[] {0.21575669651432808, 0.3738709560576039, 0.20313176071581307,
                0.22055518619014816, 0.2140939921953588, 0.2139090553684751, 0.16059267118349166,
                0.41765561915539867, 0.42880483562247584, 0.42602431980854405, 0.42861180376495384,
                0.4340288222239784});

    @ParameterizedTest
    @ValueSource(strings = {"val2017-like", "sparse-ids", "many-categories", "crowd", "dets-300", "100k-images"})
    void statsAreExactlyPycocotoolsOnOneAndTwoThreads(String shape, @TempDir Path dir) throws IOException {
        CocoShapeGenerator.write(CocoShapeGenerator.shape(shape), dir);
        Path instances = dir.resolve("instances.json");
        Path detections = dir.resolve("detections.json");

        CocoEvalResult two = CocoEvalMain.evaluate(instances, detections, 2);
        CocoEvalResult one = CocoEvalMain.evaluate(instances, detections, 1);

        assertThat(two.stats().toArray()).containsExactly(PYCOCOTOOLS.get(shape));
        assertThat(one).isEqualTo(two);
    }
}
