package io.github.yoloslim.gate;

import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.cache.PipelineStage;
import io.github.yoloslim.data.DatasetSpec;
import io.github.yoloslim.data.UnreadableImagePolicy;
import io.github.yoloslim.eval.DecodeSettings;
import io.github.yoloslim.eval.EvaluationSettings;
import io.github.yoloslim.onnx.ModelOverrides;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.testing.PipelineEntries;
import io.github.yoloslim.testing.RecordingListener;
import io.github.yoloslim.testing.SyntheticCoco;
import io.github.yoloslim.testing.TinyDetectors;
import io.github.yoloslim.testing.TinyDetectors.Box;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** verify-map's core without Maven, on tiny real ONNX detectors and a synthetic COCO dataset. */
class MapGateTest {

    @TempDir
    Path dir;
    private Path images;
    private Path exact;
    private Path shifted;
    private Path out;

    @BeforeEach
    void modelsAndData() throws Exception {
        images = SyntheticCoco.write(dir.resolve("data"), 3, 64);
        exact = detector("exact.onnx", 32);
        // 8 px off: IoU 0.6 with the ground truth, AP 0.3.
        shifted = detector("shifted.onnx", 40);
        out = dir.resolve("yolo-slim");
    }

    private Path detector(String name, float cx) throws Exception {
        Path file = dir.resolve(name);
        OnnxModel.of(TinyDetectors.constant(64, 1, List.of("person"), 84,
                List.of(new Box(cx, 32, 32, 32, 0, 0.9f)))).save(file);
        return file;
    }

    private VerifyMapRequest request(Optional<Path> candidate, double maxMapDrop, double minMap) {
        return request(Optional.empty(), candidate, maxMapDrop, minMap);
    }

    private VerifyMapRequest request(Optional<Path> baseline, Optional<Path> candidate, double maxMapDrop,
            double minMap) {
        EvaluationSettings evaluation = new EvaluationSettings(DecodeSettings.VALIDATION, ModelOverrides.NONE, 1, 0,
                UnreadableImagePolicy.FAIL);
        return new VerifyMapRequest(exact, baseline, candidate, new DatasetSpec(images, Optional.empty(),
                Optional.empty(), 0), evaluation, maxMapDrop, minMap, out, out.resolve("map-report.json"));
    }

    @Test
    void anUnreadableImageOfAYoloDatasetIsSkippedOrFailsAsConfigured() throws Exception {
        Path yolo = dir.resolve("yolo");
        Path yoloImages = Files.createDirectories(yolo.resolve("images"));
        Path labels = Files.createDirectories(yolo.resolve("labels"));
        for (int i = 1; i <= 2; i++) {
            Files.copy(images.resolve(i + ".png"), yoloImages.resolve(i + ".png"));
            Files.writeString(labels.resolve(i + ".txt"), "0 0.5 0.5 0.5 0.5\n");
        }
        Path bad = Files.write(yoloImages.resolve("3.jpg"), new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, 1});
        Files.writeString(labels.resolve("3.txt"), "0 0.5 0.5 0.5 0.5\n");
        DatasetSpec spec = new DatasetSpec(yolo, Optional.empty(), Optional.empty(), 0);
        RecordingListener listener = new RecordingListener();
        MapGateResult result = new MapGate(listener).run(yoloRequest(spec, UnreadableImagePolicy.SKIP));
        assertThat(result.verdict()).isEqualTo(Verdict.PASSED);
        assertThat(result.baseline().images()).isEqualTo(2);
        assertThat(result.baseline().stats().ap()).isEqualTo(1.0, within(1e-9));
        assertThat(result.baseline().skippedImages()).singleElement().asString().contains(bad.toString());
        assertThat(listener.warnings()).anyMatch(line -> line.startsWith("Skipping unreadable image")
                && line.contains(bad.toString()));

        assertThatThrownBy(() -> new MapGate(new RecordingListener()).run(yoloRequest(spec,
                UnreadableImagePolicy.FAIL)))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining(bad.toString())
                .hasMessageContaining("<onUnreadableImage>skip</onUnreadableImage>");
    }

    private VerifyMapRequest yoloRequest(DatasetSpec spec, UnreadableImagePolicy policy) {
        EvaluationSettings evaluation = new EvaluationSettings(DecodeSettings.VALIDATION, ModelOverrides.NONE, 1, 0,
                policy);
        return new VerifyMapRequest(exact, Optional.empty(), Optional.empty(), spec, evaluation, 0.01, 0,
                out.resolve(policy.name()), out.resolve(policy.name()).resolve("map-report.json"));
    }

    @Test
    void aModelWhoseBatchIsFixedInsideRunsBatchOneAndSaysSo() throws Exception {
        // A symbolic input batch, but the Reshape inside reshapes to [1, 1, 1]: batch 4 would fail in ONNX Runtime.
        ai.onnx.proto.OnnxMl.ModelProto dynamic = TinyDetectors.constant(64, 0, List.of("person"), 84,
                List.of(new Box(32, 32, 32, 32, 0, 0.9f)));
        ai.onnx.proto.OnnxMl.GraphProto.Builder graph = dynamic.getGraph().toBuilder();
        for (int i = 0; i < graph.getInitializerCount(); i++) {
            if (graph.getInitializer(i).getName().equals("shape")) {
                graph.setInitializer(i, graph.getInitializer(i).toBuilder().clearInt64Data()
                        .addAllInt64Data(List.of(1L, 1L, 1L)));
            }
        }
        Path insideFixed = dir.resolve("inside-fixed.onnx");
        OnnxModel.of(dynamic.toBuilder().setGraph(graph).build()).save(insideFixed);

        RecordingListener listener = new RecordingListener();
        MapGateResult result = new MapGate(listener).run(request(Optional.of(insideFixed), 0.01, 0));
        assertThat(result.candidate().images()).isEqualTo(3);
        assertThat(result.candidate().stats().ap()).isEqualTo(1.0, within(1e-9));
        assertThat(listener.stages()).filteredOn(line -> line.contains("fixes the batch at 1")).singleElement()
                .asString().startsWith("candidate inside-fixed.onnx: input images [batch, 3, 64, 64] has a symbolic "
                        + "batch, but a Reshape inside fixes the batch at 1; running batch 1 whatever <batchSize> says");
        OnnxModel model = OnnxModel.load(insideFixed, "<candidate>");
        assertThat(io.github.yoloslim.onnx.YoloModelInspector.inspect(model, "<candidate>", ModelOverrides.NONE))
                .satisfies(info -> {
                    assertThat(info.fixedBatch()).isZero();
                    assertThat(info.requiredBatch()).isEqualTo(1);
                });
    }

    @Test
    void aFolderAtTheReportsPathFailsBeforeAnyEvaluation() throws Exception {
        Path report = Files.createDirectories(out.resolve("map-report.json").resolve("inside"));
        RecordingListener listener = new RecordingListener();
        assertThatThrownBy(() -> new MapGate(listener).run(request(Optional.of(shifted), 0.01, 0)))
                .isInstanceOf(InvalidInputException.class)
                .hasMessage(report.getParent() + " is a folder, but yolo-slim writes a file there. Remove the folder "
                        + "(or run `mvn clean`), or point <outputDirectory> (-Dyoloslim.outputDirectory) elsewhere.");
        assertThat(listener.stages()).noneMatch(line -> line.startsWith("Evaluating"));
    }

    @Test
    void aReadOnlyCacheFolderFailsBeforeAnyEvaluation() throws Exception {
        Path cache = Files.createDirectories(out.resolve("cache"));
        Files.setPosixFilePermissions(cache, java.nio.file.attribute.PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            org.junit.jupiter.api.Assumptions.assumeFalse(Files.isWritable(cache),
                    "permissions are not enforced for this user (root)");
            RecordingListener listener = new RecordingListener();
            assertThatThrownBy(() -> new MapGate(listener).run(request(Optional.of(shifted), 0.01, 0)))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageStartingWith(cache.resolve("evaluation.json") + " cannot be written: " + cache
                            + " is not writable. Make it writable (chmod u+w " + cache + ")");
            assertThat(listener.stages()).noneMatch(line -> line.startsWith("Evaluating"));
        } finally {
            Files.setPosixFilePermissions(cache, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    @Test
    void aCandidateOfOtherClassesIsRefusedNamingBothCounts() throws Exception {
        Path twoClasses = dir.resolve("two-classes.onnx");
        OnnxModel.of(TinyDetectors.constant(64, 1, List.of("person", "car"), 84,
                List.of(new Box(32, 32, 32, 32, 0, 0.9f)))).save(twoClasses);
        assertThatThrownBy(() -> new MapGate(new RecordingListener()).run(request(Optional.of(twoClasses), 0.01, 0)))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("The candidate <candidate> two-classes.onnx has 2 classes but the baseline "
                        + "<model> exact.onnx has 1: the classes differ")
                .hasMessageNotContaining("less");

        Path renamed = dir.resolve("renamed.onnx");
        OnnxModel.of(TinyDetectors.constant(64, 1, List.of("car"), 84,
                List.of(new Box(32, 32, 32, 32, 0, 0.9f)))).save(renamed);
        assertThatThrownBy(() -> new MapGate(new RecordingListener()).run(request(Optional.of(renamed), 0.01, 0)))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("both have 1 classes, but the classes differ (the baseline's [person] are not "
                        + "the candidate's)");
    }

    @Test
    void aBaselineScoringZeroPassesWithAWarningInTheLogAndTheReport() throws Exception {
        // Centred on the image's corner: no overlap with the ground truth.
        Path blind = detector("blind.onnx", 0);
        RecordingListener listener = new RecordingListener();
        MapGateResult result = new MapGate(listener).run(request(Optional.of(blind), Optional.of(shifted), 0.01, 0));
        assertThat(result.verdict()).isEqualTo(Verdict.PASSED);
        assertThat(result.baseline().stats().ap()).isZero();
        String warning = "The baseline blind.onnx scores mAP50-95 0.000 on this dataset, so the gate says nothing "
                + "about the candidate";
        assertThat(listener.warnings()).anyMatch(line -> line.startsWith(warning));
        assertThat(result.message()).contains("Warning: " + warning);
        assertThat(out.resolve("map-report.md")).content().contains(warning);
        assertThat(out.resolve("map-report.json")).content().contains(warning);

        listener = new RecordingListener();
        new MapGate(listener).run(request(Optional.of(shifted), 0.01, 0.0));
        assertThat(listener.warnings()).noneMatch(line -> line.contains("says nothing"));
    }

    @Test
    void theVerdictFollowsTheDropAndTheFloor() throws Exception {
        RecordingListener listener = new RecordingListener();
        MapGateResult failed = new MapGate(listener).run(request(Optional.of(shifted), 0.01, 0));
        assertThat(failed.verdict()).isEqualTo(Verdict.MAP_DROP_EXCEEDED);
        assertThat(failed.mapDrop()).isEqualTo(0.7, within(1e-9));
        assertThat(failed.message()).startsWith("mAP50-95 dropped 0.700 (1.000 → 0.300), more than "
                + "<maxMapDrop>0.010</maxMapDrop>.");
        assertThat(failed.report()).exists();

        assertThat(new MapGate(listener).run(request(Optional.of(shifted), 0.8, 0)).verdict()).isEqualTo(Verdict.PASSED);
        assertThat(new MapGate(listener).run(request(Optional.of(shifted), 0.8, 0.5)).verdict())
                .isEqualTo(Verdict.BELOW_MIN_MAP);
        // Every evaluation after the first two came from the cache.
        assertThat(listener.stages()).filteredOn(line -> line.startsWith("Evaluating")).hasSize(2);
    }

    @Test
    void withoutAPipelineTheCandidateIsTheModelItself() throws Exception {
        MapGateResult result = new MapGate(new RecordingListener()).run(request(Optional.empty(), 0, 0));
        assertThat(result.verdict()).isEqualTo(Verdict.PASSED);
        assertThat(result.candidate().sha256()).isEqualTo(result.baseline().sha256());
    }

    @Test
    void theNewestCurrentOutputIsGatedAndAStaleOneRefused() throws Exception {
        Files.createDirectories(out);
        Path pruned = Files.copy(shifted, out.resolve("exact.pruned.onnx"));
        PipelineEntries.record(out, PipelineStage.PRUNE, pruned, exact);
        RecordingListener listener = new RecordingListener();
        assertThat(new MapGate(listener).run(request(Optional.empty(), 1, 0)).candidate().model())
                .isEqualTo(pruned.toString());
        assertThat(listener.stages()).contains("Candidate exact.pruned.onnx (newest pipeline output (prune)), "
                + "baseline exact.onnx");

        // The model changes and prune does not run again: its output is of another model.
        Files.copy(detector("other.onnx", 30), exact, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertThatThrownBy(() -> new MapGate(listener).run(request(Optional.empty(), 1, 0)))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("verify-map has no model to gate: prune output exact.pruned.onnx was made from "
                        + "another <model>");
    }
}
