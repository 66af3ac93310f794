package io.github.yoloslim.report;

import com.fasterxml.jackson.databind.DeserializationFeature;
import io.github.yoloslim.cache.ArtifactNames;
import io.github.yoloslim.cache.Json;
import io.github.yoloslim.cache.PipelineRecord;
import io.github.yoloslim.distill.DistillReport;
import io.github.yoloslim.engine.EngineManifest;
import io.github.yoloslim.sparsify.SparsifyReport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The stage reports of one output directory as the page reads them. A report that is absent leaves its section
 * out; one that cannot be read leaves it out with the reason, which the page shows.
 */
final class ReportSources {

    final Path directory;
    final Path model;
    final Path mapReportFile;
    final PipelineRecord pipeline;
    final ReportState state;
    // The stage reports, read by readReports() once the page is known to need rebuilding.
    Optional<SparsifyReport> sparsify = Optional.empty();
    Optional<ReportViews.Prune> prune = Optional.empty();
    Optional<DistillReport> distill = Optional.empty();
    Optional<ReportViews.Calibration> calibration = Optional.empty();
    Optional<EngineManifest> engine = Optional.empty();
    Optional<ReportViews.MapGate> mapGate = Optional.empty();
    final List<String> problems = new ArrayList<>();

    private ReportSources(Path directory, Path model, ReportState state) {
        this.directory = directory;
        this.model = model;
        this.state = state;
        this.mapReportFile = state.mapReport() != null ? Path.of(state.mapReport())
                : directory.resolve(ArtifactNames.MAP_REPORT);
        this.pipeline = readPipeline();
    }

    /** The pipeline record and the report state, enough to say whether the page is up to date. */
    static ReportSources read(Path directory, Path model) {
        return new ReportSources(directory, model, ReportState.read(directory));
    }

    /** Reads the stage reports; never fails on a report, only notes it in {@link #problems}. */
    ReportSources readReports() {
        sparsify = read(directory.resolve(ArtifactNames.SPARSIFY_REPORT), SparsifyReport.class, "sparsify");
        prune = read(directory.resolve(ArtifactNames.PRUNE_REPORT), ReportViews.Prune.class, "prune");
        distill = read(directory.resolve(ArtifactNames.DISTILL_REPORT), DistillReport.class, "distill");
        calibration = read(directory.resolve(ArtifactNames.CALIBRATION_REPORT), ReportViews.Calibration.class,
                "calibrate");
        engine = read(directory.resolve(ArtifactNames.ENGINE_MANIFEST), EngineManifest.class, "build-engine");
        mapGate = read(mapReportFile, ReportViews.MapGate.class, "verify-map");
        return this;
    }

    /** The files the page is built from, for its fingerprint. */
    List<Path> files() {
        return List.of(directory.resolve(PipelineRecord.FILE_NAME), directory.resolve(ArtifactNames.SPARSIFY_REPORT),
                directory.resolve(ArtifactNames.PRUNE_REPORT),
                directory.resolve(ArtifactNames.DISTILL_REPORT), directory.resolve(ArtifactNames.CALIBRATION_REPORT),
                directory.resolve(ArtifactNames.ENGINE_MANIFEST), mapReportFile,
                directory.resolve(ReportState.FILE_NAME));
    }

    private PipelineRecord readPipeline() {
        try {
            return PipelineRecord.read(directory);
        } catch (IOException | RuntimeException e) {
            problems.add(PipelineRecord.FILE_NAME + " could not be read (" + e.getMessage() + ")");
            return PipelineRecord.empty();
        }
    }

    private <T> Optional<T> read(Path file, Class<T> type, String goal) {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(Json.mapper().readerFor(type)
                    .without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).readValue(file.toFile()));
        } catch (IOException | RuntimeException e) {
            problems.add(file.getFileName() + " could not be read (" + e.getMessage() + "); rerun " + goal
                    + " to write it anew");
            return Optional.empty();
        }
    }
}
