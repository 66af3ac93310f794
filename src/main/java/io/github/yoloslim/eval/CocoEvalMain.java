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
import java.util.Arrays;
import java.util.List;

/**
 * Command line COCO box evaluation, a drop-in for the pycocotools recipe
 * {@code COCOeval(COCO(gt), COCO(gt).loadRes(dt), "bbox")}:
 * <pre>java -cp &lt;classpath&gt; io.github.yoloslim.eval.CocoEvalMain instances.json detections.json</pre>
 * prints {@code {"stats": [12 numbers], "perCategory": [{"categoryId", "ap", "ap50", "gtCount"}, ...]}}
 * on standard output, numbers at full double precision. Exit status 2 for bad arguments, 1 for bad input.
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
            CocoAnnotations gt = CocoAnnotations.read(instances);
            List<Detection> detections = DetectionsJson.read(detectionsFile);
            requireKnownImages(gt, detections, detectionsFile, instances);
            print(new CocoEvaluator().evaluate(gt, detections), out);
            return 0;
        } catch (InvalidInputException | IOException e) {
            err.println("error: " + e.getMessage());
            return 1;
        }
    }

    /** pycocotools' {@code loadRes} refuses results on images that the annotation file does not list. */
    private static void requireKnownImages(CocoAnnotations gt, List<Detection> detections, Path detectionsFile,
            Path instances) {
        long[] ids = gt.images().stream().mapToLong(CocoImage::id).sorted().toArray();
        for (int j = 0; j < detections.size(); j++) {
            long imageId = detections.get(j).imageId();
            if (Arrays.binarySearch(ids, imageId) < 0) {
                throw new InvalidInputException(detectionsFile + ": detection [" + j + "] is on image_id " + imageId
                        + ", which " + instances + " does not list; results must be on the annotated images");
            }
        }
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
