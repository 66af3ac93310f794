package io.github.yoloslim.cache;

import java.nio.file.Path;
import java.util.Locale;

/** The names of what the goals write into the output directory, in one place. */
public final class ArtifactNames {

    /** TensorRT's calibration cache, written by {@code calibrate}. */
    public static final String CALIBRATION_CACHE = "calibration.cache";
    /** {@code calibrate}'s report. */
    public static final String CALIBRATION_REPORT = "calibration.json";
    /** {@code sparsify}'s report. */
    public static final String SPARSIFY_REPORT = "sparsify-report.json";
    /** {@code prune}'s report. */
    public static final String PRUNE_REPORT = "prune-report.json";
    /** {@code distill}'s report. */
    public static final String DISTILL_REPORT = "distill-report.json";
    /** What {@code build-engine} built a plan from and with. */
    public static final String ENGINE_MANIFEST = "engine-manifest.json";
    /** {@code verify-map}'s report, where {@code <reportFile>} puts it by default. */
    public static final String MAP_REPORT = "map-report.json";
    /** {@code verify-map}'s table and verdict in Markdown, beside {@code map-report.json}. */
    public static final String MAP_REPORT_MARKDOWN = "map-report.md";
    /** {@code verify-map}'s gate as a JUnit test report, beside {@code map-report.json}. */
    public static final String MAP_REPORT_JUNIT = "TEST-yolo-slim.xml";
    /** The build's HTML report with every goal's section. */
    public static final String HTML_REPORT = "report.html";
    /** The folder of cached evaluations. */
    public static final String EVALUATION_CACHE = "cache";

    private static final String ONNX = ".onnx";
    private static final String PLAN = ".plan";

    private ArtifactNames() {
    }

    /** A model file's name without {@code .onnx}: {@code yolov8n} for {@code .../yolov8n.onnx}. */
    public static String baseName(Path model) {
        String name = model.getFileName().toString();
        return name.toLowerCase(Locale.ROOT).endsWith(ONNX) ? name.substring(0, name.length() - ONNX.length()) : name;
    }

    /** {@code <name>.sparse.onnx}. */
    public static String sparseModel(Path model) {
        return baseName(model) + ".sparse" + ONNX;
    }

    /** {@code <name>.pruned.onnx}. */
    public static String prunedModel(Path model) {
        return baseName(model) + ".pruned" + ONNX;
    }

    /** {@code <name>.distilled.onnx}. */
    public static String distilledModel(Path model) {
        return baseName(model) + ".distilled" + ONNX;
    }

    /** {@code <name>.int8.onnx}. */
    public static String quantizedModel(Path model) {
        return baseName(model) + ".int8" + ONNX;
    }

    /** {@code <name>.plan}. */
    public static String plan(Path model) {
        return baseName(model) + PLAN;
    }

    /** {@code <name>-djl.zip}. */
    public static String djlArchive(Path model) {
        return baseName(model) + "-djl.zip";
    }

    /** Whether {@code file} is a serialized TensorRT engine (by its name). */
    public static boolean isPlan(Path file) {
        return file.getFileName().toString().endsWith(PLAN);
    }
}
