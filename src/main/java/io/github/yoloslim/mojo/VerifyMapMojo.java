package io.github.yoloslim.mojo;

import io.github.yoloslim.Choices;
import io.github.yoloslim.data.DatasetSpec;
import io.github.yoloslim.engine.EngineBuilder;
import io.github.yoloslim.eval.DecodeSettings;
import io.github.yoloslim.eval.EvaluationSettings;
import io.github.yoloslim.gate.MapGate;
import io.github.yoloslim.gate.MapGateResult;
import io.github.yoloslim.gate.VerifyMapRequest;
import io.github.yoloslim.onnx.ModelOverrides;
import io.github.yoloslim.progress.ProgressListener;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

import java.io.File;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Fails the build when the candidate model's COCO mAP50-95 drops more than {@code maxMapDrop} below the
 * baseline's (or falls under {@code minMap}). Both are evaluated on CPU with ONNX Runtime exactly as
 * {@code yolo val} does; evaluations are cached by content, so a rerun with nothing changed is quick.
 */
@Mojo(name = "verify-map", defaultPhase = LifecyclePhase.VERIFY, threadSafe = true)
public class VerifyMapMojo extends AbstractImageMojo {

    /** Skips this goal only. */
    @Parameter(property = "yoloslim.verify.skip", defaultValue = "false")
    boolean skipVerify;

    /**
     * The model under test: a path, or {@code auto} for the newest ONNX the pipeline wrote to
     * {@code outputDirectory} (the INT8 model, else the pruned one), else {@code model} itself. A TensorRT
     * {@code .plan} that build-engine wrote is run on the GPU, so the gate checks the artifact that ships.
     */
    @Parameter(property = "yoloslim.verify.candidate", defaultValue = "auto")
    String candidate;

    /** The reference model: a path, or {@code model} to compare against {@code <model>}. */
    @Parameter(property = "yoloslim.verify.baseline", defaultValue = "model")
    String baseline;

    /**
     * The evaluation images: a COCO images folder (with {@code ../annotations/instances_<folder>.json}) or a
     * YOLO dataset root with {@code images/} and {@code labels/} (or its {@code data.yaml}).
     */
    @Parameter(property = "yoloslim.dataset", defaultValue = "${project.basedir}/src/test/yolo/val")
    File dataset;

    /** The COCO instances file; {@code auto} looks beside the images folder as COCO lays it out. */
    @Parameter(property = "yoloslim.annotations", defaultValue = "auto")
    String annotations;

    /** The dataset layout: {@code auto}, {@code coco} or {@code yolo}. */
    @Parameter(property = "yoloslim.datasetFormat", defaultValue = "auto")
    String datasetFormat;

    /** Evaluate only the first this many images of {@code dataset} (by id); 0 evaluates all. */
    @Parameter(property = "yoloslim.maxEvaluationImages", defaultValue = "0")
    int maxEvaluationImages;

    /** The largest allowed mAP50-95 loss of the candidate, absolute: 0.01 is one point. */
    @Parameter(property = "yoloslim.verify.maxMapDrop", defaultValue = "0.01")
    double maxMapDrop;

    /** The lowest allowed mAP50-95 of the candidate, as a fraction; 0 sets no floor. */
    @Parameter(property = "yoloslim.verify.minMap", defaultValue = "0")
    double minMap;

    /** Class scores must exceed this to make a detection (Ultralytics validates at 0.001). */
    @Parameter(property = "yoloslim.verify.confidenceThreshold", defaultValue = "0.001")
    double confidenceThreshold;

    /** NMS IoU threshold (Ultralytics validates at 0.7). */
    @Parameter(property = "yoloslim.verify.iouThreshold", defaultValue = "0.7")
    double iouThreshold;

    /** Detections kept per image after NMS. */
    @Parameter(property = "yoloslim.verify.maxDetections", defaultValue = "300")
    int maxDetections;

    /**
     * Every class above the threshold makes a detection for a box, as {@code yolo val} scores; {@code false}
     * keeps only each box's best class, as deployments decode.
     */
    @Parameter(property = "yoloslim.verify.multiLabel", defaultValue = "true")
    String multiLabel;

    /** The square input size to run at; 0 takes it from the model. */
    @Parameter(property = "yoloslim.imageSize", defaultValue = "0")
    int imageSize;

    /**
     * The model's class names in class-index order, to map classes to dataset categories by name; empty takes
     * them from the model's metadata.
     */
    @Parameter(property = "yoloslim.classNames")
    List<String> classNames = List.of();

    /** Where the JSON report with both models' full COCO numbers goes. */
    @Parameter(property = "yoloslim.verify.reportFile", defaultValue = "${project.build.directory}/yolo-slim/map-report.json")
    File reportFile;

    /** Runs engine candidates; the builder registered with ServiceLoader unless a test sets another. */
    EngineBuilder engineBuilder;

    @Override
    String goal() {
        return "verify-map";
    }

    @Override
    boolean goalSkipped() {
        return skipVerify;
    }

    @Override
    String goalSkipProperty() {
        return "yoloslim.verify.skip";
    }

    @Override
    void run(ProgressListener listener) throws Exception {
        MapGateResult result = (engineBuilder == null ? new MapGate(listener)
                : new MapGate(listener, () -> engineBuilder)).run(request());
        if (!result.verdict().passed()) {
            throw new MojoFailureException(result.message() + " Report: " + result.report());
        }
        getLog().info(result.message());
    }

    @Override
    Optional<Path> mapReport() {
        return Optional.of(reportFile.toPath());
    }

    VerifyMapRequest request() {
        EvaluationSettings evaluation = new EvaluationSettings(
                new DecodeSettings(confidenceThreshold, iouThreshold, maxDetections,
                        Choices.flag(multiLabel, "multiLabel")),
                new ModelOverrides(imageSize, classNames == null ? List.of() : classNames), threads, batchSize,
                unreadableImages());
        DatasetSpec datasetSpec = new DatasetSpec(dataset.toPath().normalize(), optionalPath(annotations, "auto"),
                datasetFormat(datasetFormat), maxEvaluationImages);
        return new VerifyMapRequest(model.toPath().normalize(), optionalPath(baseline, "model"), optionalPath(candidate, "auto"),
                datasetSpec, evaluation, maxMapDrop, minMap, outputDirectory.toPath(), reportFile.toPath());
    }
}
