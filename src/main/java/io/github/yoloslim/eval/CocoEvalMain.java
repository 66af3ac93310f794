package io.github.yoloslim.eval;

import com.fasterxml.jackson.core.JsonGenerator;
import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.data.CocoAnnotations;
import io.github.yoloslim.data.CocoImage;
import io.github.yoloslim.data.StreamingJson;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Command line COCO box evaluation, a drop-in for the pycocotools recipe
 * {@code COCOeval(COCO(gt), COCO(gt).loadRes(dt), "bbox")}:
 * <pre>java -XX:TieredStopAtLevel=1 -cp &lt;classpath&gt; io.github.yoloslim.eval.CocoEvalMain instances.json detections.json</pre>
 * prints {@code {"stats": [12 numbers], "perCategory": [{"categoryId", "ap", "ap50", "gtCount"}, ...]}}
 * on standard output, numbers at full double precision. Exit status 2 for bad arguments, 1 for bad input.
 * The flag keeps a run of seconds from paying for C2 compilation (src/site/markdown/coco-eval.md has the measurements).
 */
public final class CocoEvalMain {

    private static final String USAGE = "usage: java -cp <classpath> " + CocoEvalMain.class.getName()
            + " <instances.json> <detections.json>\n"
            + "  Evaluates COCO-format box detections as pycocotools' COCOeval (bbox) does and prints\n"
            + "  {\"stats\": [AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl], \"perCategory\": [...]}";

    private CocoEvalMain() {
    }

    public static void main(String[] args) {
        int status = run(args, System.out, System.err);
        if (status != 0) {
            System.exit(status);
        }
    }

    /** Runs the command; returns the exit status. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length != 2) {
            err.println(USAGE);
            return 2;
        }
        Path instances = Path.of(args[0]);
        Path detectionsFile = Path.of(args[1]);
        for (Path file : List.of(instances, detectionsFile)) {
            if (!Files.isRegularFile(file)) {
                err.println("error: " + file + " is not a readable file\n" + USAGE);
                return 2;
            }
        }
        try {
            print(evaluate(instances, detectionsFile, Runtime.getRuntime().availableProcessors()), out);
            return 0;
        } catch (InvalidInputException | IOException e) {
            err.println("error: " + e.getMessage());
            return 1;
        }
    }

    /**
     * Reads both files and evaluates on {@code threads} threads. The two files are read at once, the
     * detections in chunks on every thread as it frees up; an error in the annotation file is reported
     * first, as when the files are read in turn.
     */
    static CocoEvalResult evaluate(Path instances, Path detectionsFile, int threads) throws IOException {
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "coco-read");
            t.setDaemon(true);
            return t;
        });
        try {
            Future<CocoAnnotations> annotations = pool.submit(() -> CocoAnnotations.read(instances));
            DetectionTable detections;
            try {
                detections = DetectionsJson.readTable(detectionsFile, pool, threads);
            } catch (InvalidInputException | IOException e) {
                DetectionsJson.await(annotations);
                throw e;
            }
            CocoAnnotations gt = DetectionsJson.await(annotations);
            requireKnownImages(gt, detections, detectionsFile, instances);
            return new CocoEvaluator(threads).evaluate(gt, detections);
        } finally {
            pool.shutdownNow();
        }
    }

    /** pycocotools' {@code loadRes} refuses results on images that the annotation file does not list. */
    private static void requireKnownImages(CocoAnnotations gt, DetectionTable detections, Path detectionsFile,
            Path instances) {
        long[] ids = gt.images().stream().mapToLong(CocoImage::id).sorted().toArray();
        detections.firstOffImages(ids).ifPresent(d -> {
            throw new InvalidInputException(detectionsFile + ": detection [" + d.position() + "] is on image_id "
                    + d.imageId() + ", which " + instances + " does not list; results must be on the annotated images");
        });
    }

    private static void print(CocoEvalResult result, PrintStream out) throws IOException {
        try (JsonGenerator g = StreamingJson.FACTORY.createGenerator(out)) {
            g.writeStartObject();
            g.writeArrayFieldStart("stats");
            for (double v : result.stats().toArray()) {
                g.writeNumber(v);
            }
            g.writeEndArray();
            g.writeArrayFieldStart("perCategory");
            for (CategoryAp c : result.perCategory()) {
                g.writeStartObject();
                g.writeNumberField("categoryId", c.categoryId());
                g.writeNumberField("ap", c.ap());
                g.writeNumberField("ap50", c.ap50());
                g.writeNumberField("gtCount", c.gtCount());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        out.println();
    }
}
