package io.github.yoloslim.report;

import io.github.yoloslim.calibrate.CalibrateRequest;
import io.github.yoloslim.calibrate.Calibrator;
import io.github.yoloslim.calibrate.RangeMethod;
import io.github.yoloslim.data.DatasetSpec;
import io.github.yoloslim.data.UnreadableImagePolicy;
import io.github.yoloslim.distill.DistillRequest;
import io.github.yoloslim.distill.Distillation;
import io.github.yoloslim.eval.DecodeSettings;
import io.github.yoloslim.eval.EvaluationSettings;
import io.github.yoloslim.gate.MapGate;
import io.github.yoloslim.gate.VerifyMapRequest;
import io.github.yoloslim.onnx.ModelOverrides;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.progress.ProgressListener;
import io.github.yoloslim.prune.ImportanceCriterion;
import io.github.yoloslim.prune.PruneRequest;
import io.github.yoloslim.prune.Pruner;
import io.github.yoloslim.prune.RecoveryMethod;
import io.github.yoloslim.prune.RecoverySettings;
import io.github.yoloslim.prune.SearchSettings;
import io.github.yoloslim.prune.SelectionSettings;
import io.github.yoloslim.prune.YoloGraphs;
import io.github.yoloslim.quantize.QdqFormat;
import io.github.yoloslim.quantize.QdqOptions;
import io.github.yoloslim.testing.SyntheticCoco;
import io.github.yoloslim.testing.SyntheticImages;
import io.github.yoloslim.testing.TinyDetectors;
import io.github.yoloslim.train.Augmentation;
import io.github.yoloslim.train.DistillationSettings;
import io.github.yoloslim.train.LossWeights;
import io.github.yoloslim.train.TrainingDevice;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * A whole pipeline run by the real cores on the small YOLOv8 of {@link YoloGraphs}: prune with a ratio search,
 * distill, calibrate and verify-map, each goal followed by the report update its mojo makes. Built once per JVM into
 * a folder under {@code target/}, since every report test reads the same stage reports.
 */
final class ReportFixture {

    static final ProgressListener SILENT = ProgressListener.silent();

    final Path root;
    final Path model;
    final Path output;

    private static ReportFixture built;

    private ReportFixture(Path root) {
        this.root = root;
        this.model = root.resolve("tiny.onnx");
        this.output = root.resolve("target/yolo-slim");
    }

    /** The pipeline's output folder with every stage report and {@code report.html}. */
    static synchronized ReportFixture get() throws Exception {
        if (built == null) {
            ReportFixture fixture = new ReportFixture(Files.createTempDirectory(
                    Files.createDirectories(Path.of("target")), "report-fixture"));
            fixture.run();
            built = fixture;
        }
        return built;
    }

    private void run() throws Exception {
        OnnxModel.of(TinyDetectors.withMetadata(YoloGraphs.yolo(false).proto(),
                Map.of("names", TinyDetectors.names(List.of("person", "bicycle"))))).save(model);
        Path images = SyntheticImages.noise(root.resolve("calibration"), 8, 40, 3);
        Path dataset = SyntheticCoco.write(root.resolve("coco"), 4, 64);
        EvaluationSettings evaluation = new EvaluationSettings(DecodeSettings.VALIDATION, ModelOverrides.NONE, 1, 0,
                UnreadableImagePolicy.FAIL);
        DatasetSpec spec = new DatasetSpec(dataset, Optional.empty(), Optional.empty(), 0);

        long start = System.nanoTime();
        new Pruner(SILENT).run(new PruneRequest(model, ImportanceCriterion.AUTO, new SelectionSettings(0.25, -1, 1, 0, 1),
                new RecoverySettings(RecoveryMethod.AUTO, 0.1, 32), true,
                Optional.of(new SearchSettings(0.5, 0.5, 3, 0.2, spec, evaluation, false, Optional.empty())),
                Optional.of(images), 8, ModelOverrides.NONE, 1, UnreadableImagePolicy.FAIL, output));
        report("prune", start);

        start = System.nanoTime();
        new Distillation(SILENT).run(new DistillRequest(model, Optional.empty(), images, 0,
                new DistillationSettings(2, 4, 32, 0.01, 1, 0.01, 0, 1, new LossWeights(1, 1, 0, 1),
                        new Augmentation(0.5, 0.25, 0), TrainingDevice.CPU, 2),
                UnreadableImagePolicy.FAIL, output));
        report("distill", start);

        start = System.nanoTime();
        new Calibrator(SILENT).run(new CalibrateRequest(model, Optional.empty(), images, 0, RangeMethod.MSE, 99.99,
                QdqOptions.of(QdqFormat.TENSORRT), "10.15.1", ModelOverrides.NONE, 1, 0, UnreadableImagePolicy.FAIL,
                output));
        report("calibrate", start);

        start = System.nanoTime();
        Path mapReport = output.resolve("map-report.json");
        new MapGate(SILENT).run(new VerifyMapRequest(model, Optional.empty(), Optional.empty(), spec, evaluation, 1.0,
                0, output, mapReport));
        update("verify-map", start, Optional.of(mapReport));
    }

    private void report(String goal, long start) throws IOException {
        update(goal, start, Optional.empty());
    }

    HtmlReport.Result update(String goal, long start, Optional<Path> mapReport) throws IOException {
        return new HtmlReport(SILENT).update(new ReportRequest(output, model, goal,
                OptionalDouble.of((System.nanoTime() - start) / 1e9), mapReport));
    }

    String page() throws IOException {
        return Files.readString(output.resolve("report.html"));
    }
}
