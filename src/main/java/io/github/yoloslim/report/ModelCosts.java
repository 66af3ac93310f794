package io.github.yoloslim.report;

import ai.onnxruntime.OrtException;
import io.github.yoloslim.cache.ArtifactNames;
import io.github.yoloslim.cache.AtomicFiles;
import io.github.yoloslim.cache.FileSnapshot;
import io.github.yoloslim.cache.Json;
import io.github.yoloslim.cache.PipelineRecord.ConsumedModel;
import io.github.yoloslim.cache.PipelineRecord.StageOutput;
import io.github.yoloslim.cache.PipelineStage;
import io.github.yoloslim.onnx.ModelOverrides;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.onnx.YoloModelInspector;
import io.github.yoloslim.prune.ModelCost;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Parameters and MACs of the pipeline's models, by content hash: prune's report has its input's and output's;
 * distill, calibrate and build-engine keep their input's architecture, so they take their input's; any other model
 * is measured once ({@link ModelCost#measure}, one ONNX Runtime run) and kept in {@code cache/cost-<sha256>.json}.
 */
final class ModelCosts {

    private final ReportSources sources;
    private final Map<String, Optional<ModelCost>> bySha = new HashMap<>();

    ModelCosts(ReportSources sources) {
        this.sources = sources;
        sources.prune.ifPresent(prune -> {
            if (prune.before() != null && prune.modelSha256() != null) {
                bySha.put(prune.modelSha256(), Optional.of(prune.before()));
            }
            sources.pipeline.entry(PipelineStage.PRUNE).filter(entry -> entry.input() != null
                    && prune.after() != null && entry.input().sha256().equals(prune.modelSha256()))
                    .ifPresent(entry -> bySha.put(entry.sha256(), Optional.of(prune.after())));
        });
    }

    /** The cost of what {@code stage} recorded, from its input's when the stage keeps the architecture. */
    Optional<ModelCost> of(PipelineStage stage, StageOutput entry) {
        Optional<ModelCost> known = bySha.get(entry.sha256());
        if (known != null || stage == PipelineStage.PRUNE || entry.input() == null) {
            return known == null ? Optional.empty() : known;
        }
        Optional<ModelCost> inherited = of(entry.input());
        bySha.put(entry.sha256(), inherited);
        return inherited;
    }

    private Optional<ModelCost> of(ConsumedModel input) {
        Optional<PipelineStage> upstream = PipelineStage.byKey(input.from());
        if (upstream.isPresent()) {
            return sources.pipeline.entry(upstream.get()).map(entry -> of(upstream.get(), entry))
                    .orElse(Optional.empty());
        }
        Path file = input.from().equals("<input>") ? Path.of(input.file()) : sources.model;
        return of(input.sha256(), file);
    }

    /** The cost of the ONNX model {@code file} whose content hash is {@code sha256}; empty for other files. */
    Optional<ModelCost> of(String sha256, Path file) {
        Optional<ModelCost> known = bySha.get(sha256);
        if (known == null) {
            known = cachedOrMeasured(sha256, file);
            bySha.put(sha256, known);
        }
        return known;
    }

    private Optional<ModelCost> cachedOrMeasured(String sha256, Path file) {
        Path cached = sources.directory.resolve(ArtifactNames.EVALUATION_CACHE).resolve("cost-" + sha256 + ".json");
        try {
            if (Files.isRegularFile(cached)) {
                return Optional.of(Json.mapper().readValue(cached.toFile(), ModelCost.class));
            }
            if (!Files.isRegularFile(file) || !file.getFileName().toString().endsWith(".onnx")) {
                return Optional.empty();
            }
            FileSnapshot snapshot = OnnxModel.read(file, "<model>");
            if (!snapshot.sha256().equals(sha256)) {
                return Optional.empty();
            }
            OnnxModel model = OnnxModel.parse(snapshot, "<model>");
            ModelCost cost = ModelCost.measure(model,
                    YoloModelInspector.inspect(model, "<model>", ModelOverrides.NONE));
            AtomicFiles.write(cached, Json.mapper().writeValueAsBytes(cost));
            return Optional.of(cost);
        } catch (IOException | RuntimeException | OrtException e) {
            sources.problems.add("the parameters and MACs of " + file.getFileName() + " could not be measured (" + e
                    + ")");
            return Optional.empty();
        }
    }
}
