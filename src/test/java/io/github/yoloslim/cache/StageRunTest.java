package io.github.yoloslim.cache;

import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.cache.PipelineRecord.Freshness;
import io.github.yoloslim.cache.StageRun.StageInput;
import io.github.yoloslim.progress.ProgressListener;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The stage skeleton and the chain-checked pipeline record, on plain files (no model is parsed here). */
class StageRunTest {

    @TempDir
    Path dir;
    private Path model;
    private Path out;

    @BeforeEach
    void files() throws IOException {
        model = Files.writeString(dir.resolve("model.onnx"), "network A");
        out = dir.resolve("target/yolo-slim");
    }

    /** Runs {@code stage} as a stage does: takes its input, "writes" an output derived from it, commits. */
    private Path runStage(PipelineStage stage, String suffix, String parameter) throws IOException {
        try (StageRun run = StageRun.begin(stage, out, model, ProgressListener.silent())) {
            StageInput input = run.input(Optional.empty());
            Path output = run.outputDirectory().resolve("model." + suffix + ".onnx");
            Files.writeString(output, Files.readString(input.file()) + " → " + stage.key() + " " + parameter);
            Path report = Files.writeString(run.outputDirectory().resolve(stage.key() + ".json"), "{}");
            run.commit(run.key(input).parameter("p", parameter), input, output, List.of(report));
            return output;
        }
    }

    private PipelineRecord.Check check(PipelineStage stage) throws IOException {
        return PipelineRecord.read(out).check(stage, out, Sha256.ofFile(model)).orElseThrow();
    }

    @Test
    void eachStageTakesTheNewestCurrentOutputAndRecordsWhatItMadeItFrom() throws IOException {
        Path pruned = runStage(PipelineStage.PRUNE, "pruned", "x");
        Path quantized = runStage(PipelineStage.CALIBRATE, "int8", "y");
        assertThat(Files.readString(quantized)).isEqualTo("network A → prune x → calibrate y");

        PipelineRecord.StageOutput entry = PipelineRecord.read(out).entry(PipelineStage.CALIBRATE).orElseThrow();
        assertThat(entry.file()).isEqualTo("model.int8.onnx");
        assertThat(entry.modelSha256()).isEqualTo(Sha256.ofFile(model));
        assertThat(entry.input()).isEqualTo(new PipelineRecord.ConsumedModel("prune", "model.pruned.onnx",
                Sha256.ofFile(pruned)));
        assertThat(entry.outputs()).containsOnlyKeys("model.int8.onnx", "calibrate.json");
        assertThat(entry.parameters()).containsEntry("p", "y");
        assertThat(check(PipelineStage.CALIBRATE).freshness()).isEqualTo(Freshness.CURRENT);
        assertThat(PipelineRecord.read(out).gateCandidate(out, Sha256.ofFile(model)).file()).contains(quantized);
    }

    @Test
    void calibrateTakesTheDistilledModelOverThePrunedOne() throws IOException {
        Path pruned = runStage(PipelineStage.PRUNE, "pruned", "x");
        Path distilled = runStage(PipelineStage.DISTILL, "distilled", "d");
        Path quantized = runStage(PipelineStage.CALIBRATE, "int8", "y");
        assertThat(Files.readString(quantized)).isEqualTo("network A → prune x → distill d → calibrate y");
        assertThat(PipelineRecord.read(out).entry(PipelineStage.DISTILL).orElseThrow().input())
                .isEqualTo(new PipelineRecord.ConsumedModel("prune", "model.pruned.onnx", Sha256.ofFile(pruned)));

        // Distilled again from a new pruned model: calibrate's output is stale until it reruns.
        runStage(PipelineStage.PRUNE, "pruned", "x2");
        assertThat(check(PipelineStage.DISTILL).freshness()).isEqualTo(Freshness.STALE_INPUT);
        assertThat(check(PipelineStage.CALIBRATE).freshness()).isEqualTo(Freshness.STALE_INPUT);
        try (StageRun run = StageRun.begin(PipelineStage.CALIBRATE, out, model, ProgressListener.silent())) {
            assertThat(run.input(Optional.empty()).file()).isEqualTo(pruned);
        }
        assertThat(distilled).exists();
    }

    @Test
    void anOutputOfAnotherModelIsPassedOverByStagesAndRefusedByTheGate() throws IOException {
        runStage(PipelineStage.PRUNE, "pruned", "x");
        Path quantized = runStage(PipelineStage.CALIBRATE, "int8", "y");
        Files.writeString(model, "network B");

        assertThat(check(PipelineStage.PRUNE).freshness()).isEqualTo(Freshness.OTHER_MODEL);
        // The calibrate entry's own model changed as well: that is found first.
        assertThat(check(PipelineStage.CALIBRATE).freshness()).isEqualTo(Freshness.OTHER_MODEL);
        try (StageRun run = StageRun.begin(PipelineStage.CALIBRATE, out, model, ProgressListener.silent())) {
            StageInput input = run.input(Optional.empty());
            assertThat(input.file()).isEqualTo(model);
            assertThat(input.explanation()).startsWith("<model> (no current pipeline output: prune output "
                    + "model.pruned.onnx was made from another <model>");
        }
        assertThatThrownBy(() -> PipelineRecord.read(out).gateCandidate(out, Sha256.ofFile(model)))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("verify-map has no model to gate: calibrate output model.int8.onnx was made "
                        + "from another <model>")
                .hasMessageContaining("Rerun calibrate (it may be skipped: -Dyoloslim.calibrate.skip), run `mvn "
                        + "clean`, or name the model to gate with <candidate>.");
        // Rerunning calibrate on the new model makes the chain current again, without prune.
        runStage(PipelineStage.CALIBRATE, "int8", "y");
        assertThat(Files.readString(quantized)).isEqualTo("network B → calibrate y");
        assertThat(PipelineRecord.read(out).gateCandidate(out, Sha256.ofFile(model)).file()).contains(quantized);
    }

    @Test
    void aStageWhoseInputWasRewrittenIsStale() throws IOException {
        runStage(PipelineStage.PRUNE, "pruned", "x");
        runStage(PipelineStage.CALIBRATE, "int8", "y");
        runStage(PipelineStage.PRUNE, "pruned", "another ratio");
        PipelineRecord.Check check = check(PipelineStage.CALIBRATE);
        assertThat(check.freshness()).isEqualTo(Freshness.STALE_INPUT);
        assertThat(check.describe()).isEqualTo("calibrate output model.int8.onnx was made from an input that is no "
                + "longer current (prune has written a new model.pruned.onnx since)");
        try (StageRun run = StageRun.begin(PipelineStage.BUILD_ENGINE, out, model, ProgressListener.silent())) {
            assertThat(run.input(Optional.empty()).file().getFileName().toString()).isEqualTo("model.pruned.onnx");
        }
    }

    @Test
    void missingAndEditedOutputsAreNamed() throws IOException {
        Path pruned = runStage(PipelineStage.PRUNE, "pruned", "x");
        Files.writeString(pruned, "edited by hand");
        assertThat(check(PipelineStage.PRUNE).describe())
                .isEqualTo("prune output model.pruned.onnx changed since it was written");
        Files.delete(pruned);
        assertThat(check(PipelineStage.PRUNE).freshness()).isEqualTo(Freshness.MISSING);
        assertThatThrownBy(() -> PipelineRecord.read(out).gateCandidate(out, Sha256.ofFile(model)))
                .hasMessageStartingWith("verify-map has no model to gate: prune output model.pruned.onnx is missing");
    }

    @Test
    void aConfiguredInputIsRecordedAndCheckedByPath() throws IOException {
        Path own = Files.writeString(dir.resolve("own.onnx"), "someone's model");
        try (StageRun run = StageRun.begin(PipelineStage.CALIBRATE, out, model, ProgressListener.silent())) {
            StageInput input = run.input(Optional.of(own));
            assertThat(input.parameter()).isEqualTo("<calibrationInput>");
            Path output = Files.writeString(out.resolve("model.int8.onnx"), "quantized");
            run.commit(run.key(input), input, output, List.of());
        }
        assertThat(check(PipelineStage.CALIBRATE).freshness()).isEqualTo(Freshness.CURRENT);
        Files.writeString(own, "someone's other model");
        assertThat(check(PipelineStage.CALIBRATE).describe()).endsWith("(its configured input " + own.toAbsolutePath()
                + " is missing or changed)");
    }

    @Test
    void upToDateNeedsTheSameKeyAndEveryOutputAsRecorded() throws IOException {
        runStage(PipelineStage.PRUNE, "pruned", "x");
        try (StageRun run = StageRun.begin(PipelineStage.PRUNE, out, model, ProgressListener.silent())) {
            StageInput input = run.input(Optional.empty());
            assertThat(run.upToDate(run.key(input).parameter("p", "x"))).isPresent();
            assertThat(run.upToDate(run.key(input).parameter("p", "z"))).isEmpty();
            Files.writeString(out.resolve("prune.json"), "{\"edited\": true}");
            assertThat(run.upToDate(run.key(input).parameter("p", "x"))).isEmpty();
        }
    }

    @Test
    void anEntryFromAnOlderVersionIsNeverTrusted() throws IOException {
        Files.createDirectories(out);
        Files.writeString(out.resolve("model.pruned.onnx"), "old");
        Files.writeString(out.resolve(PipelineRecord.FILE_NAME), "{\"stages\":{\"prune\":{\"file\":\"model.pruned.onnx\","
                + "\"sha256\":\"" + Sha256.ofFile(out.resolve("model.pruned.onnx")) + "\",\"inputs\":{},"
                + "\"parameters\":{},\"pluginVersion\":\"0.0.1\"}}}");
        assertThat(check(PipelineStage.PRUNE).freshness()).isEqualTo(Freshness.UNKNOWN_FORMAT);
    }

    @Test
    void outputsOutsideTheDirectoryAndAMissingModelAreRefused() throws IOException {
        try (StageRun run = StageRun.begin(PipelineStage.PRUNE, out, model, ProgressListener.silent())) {
            StageInput input = run.input(Optional.empty());
            assertThatThrownBy(() -> run.commit(run.key(input), input, model, List.of()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outside the output directory");
        }
        assertThatThrownBy(() -> StageRun.begin(PipelineStage.PRUNE, out, dir.resolve("none.onnx"),
                ProgressListener.silent())).isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("<model> " + dir.resolve("none.onnx") + " does not exist.");
    }
}
