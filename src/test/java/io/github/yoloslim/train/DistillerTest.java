package io.github.yoloslim.train;

import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.data.UnreadableImagePolicy;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.progress.ProgressListener;
import io.github.yoloslim.prune.YoloGraphs;
import io.github.yoloslim.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Distillation of a small YOLOv8 built in code towards itself, from a student with damaged weights. */
class DistillerTest {

    private static final OnnxModel TEACHER = YoloGraphs.yolo(false);

    private static DistillationSettings settings(double learningRate) {
        return new DistillationSettings(4, 4, 32, learningRate, 2, 0.01, 0, 11, new LossWeights(1, 1, 1, 1),
                new Augmentation(0.5, 0.25, 0.5), TrainingDevice.CPU, 2);
    }

    /** The teacher with two Conv weights (one in the backbone, one a class output) scaled. */
    private static OnnxModel damagedStudent() {
        OnnxModel student = YoloGraphs.editInitializer(TEACHER, "/model.1/cv1/conv.weight", w -> scaled(w, 0.5f));
        return YoloGraphs.editInitializer(student, "/model.9/cv3.0/cv3.0.2.weight", w -> scaled(w, -1f));
    }

    private static float[] scaled(float[] values, float factor) {
        float[] out = values.clone();
        for (int i = 0; i < out.length; i++) {
            out[i] *= factor;
        }
        return out;
    }

    @Test
    void theStudentApproachesTheTeacherAndTheRunIsDeterministic(@TempDir Path folder) throws Exception {
        List<Path> images = YoloGraphs.noiseImages(folder.resolve("images"), 8, 40, 3);
        Path output = folder.resolve("student.distilled.onnx");
        DistillationRequest request = new DistillationRequest(TEACHER, damagedStudent(), images, folder,
                UnreadableImagePolicy.SKIP, settings(0.05), Optional.of(output));
        DistillationResult first = new Distiller(ProgressListener.silent()).run(request);

        assertThat(first.steps()).isEqualTo(8);
        assertThat(first.images()).isEqualTo(32);
        assertThat(first.epochs()).hasSize(4);
        assertThat(first.epochs().get(3).total()).isLessThan(first.epochs().get(0).total() / 2);
        assertThat(first.epochs().get(0).features()).isPositive();
        assertThat(Files.readAllBytes(output)).isEqualTo(first.model().toBytes());

        DistillationResult second = new Distiller(ProgressListener.silent()).run(new DistillationRequest(TEACHER,
                damagedStudent(), images, folder, UnreadableImagePolicy.SKIP, settings(0.05), Optional.empty()));
        assertThat(second.model().toBytes()).isEqualTo(first.model().toBytes());
        assertThat(second.epochs()).isEqualTo(first.epochs().stream().map(e -> new DistillationResult.EpochLoss(
                e.epoch(), e.total(), e.box(), e.classes(), e.features(), second.epochs().get(e.epoch() - 1)
                        .seconds())).toList());
    }

    @Test
    void aLossThatIsNotFiniteStopsNamingTheStepAndWritesNothing(@TempDir Path folder) throws Exception {
        List<Path> images = YoloGraphs.noiseImages(folder.resolve("images"), 4, 40, 3);
        OnnxModel broken = YoloGraphs.editInitializer(TEACHER, "/model.2/conv.bias", b -> {
            float[] out = b.clone();
            out[0] = Float.NaN;
            return out;
        });
        Path output = folder.resolve("student.distilled.onnx");
        assertThatThrownBy(() -> new Distiller(ProgressListener.silent()).run(new DistillationRequest(TEACHER, broken,
                images, folder, UnreadableImagePolicy.SKIP, settings(0.01), Optional.of(output))))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("the distillation loss is not finite at step 1 (epoch 1, training images 1–4 "
                        + "of the shuffled order); training stopped and nothing was written. Lower <learningRate> "
                        + "(now 0.01)");
        assertThat(output).doesNotExist();
        assertThat(folder.toFile().list()).containsExactly("images");
    }

    @Test
    void trainingImagesThatCannotBeReadAreRefused(@TempDir Path folder) throws Exception {
        Path notAnImage = Files.writeString(folder.resolve("notes.jpg"), "not a picture");
        assertThatThrownBy(() -> new Distiller(ProgressListener.silent()).run(new DistillationRequest(TEACHER,
                damagedStudent(), List.of(notAnImage), folder, UnreadableImagePolicy.SKIP, settings(0.01),
                Optional.empty())))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("none of the 1 training images can be read (")
                .hasMessageEndingWith("Point <trainingImages> at a folder of JPEG or PNG images.");
    }

    @Test
    void underTheFailPolicyAnUnreadableTrainingImageFailsBeforeTraining(@TempDir Path folder) throws Exception {
        List<Path> images = new ArrayList<>(YoloGraphs.noiseImages(folder.resolve("images"), 2, 40, 3));
        images.add(Files.writeString(folder.resolve("images/broken.jpg"), "not a picture"));
        assertThatThrownBy(() -> new Distiller(ProgressListener.silent()).run(new DistillationRequest(TEACHER,
                damagedStudent(), images, folder, UnreadableImagePolicy.FAIL, settings(0.01), Optional.empty())))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("broken.jpg")
                .hasMessageContaining("(in <trainingImages> " + folder + ")")
                .hasMessageEndingWith("set <onUnreadableImage>skip</onUnreadableImage> "
                        + "(-Dyoloslim.onUnreadableImage=skip) to go on without it.");
    }

    @Test
    void theModelsInputSizeMustBeAMultipleOf32ToTrainAtIt(@TempDir Path folder) throws Exception {
        List<Path> images = YoloGraphs.noiseImages(folder.resolve("images"), 2, 40, 3);
        DistillationSettings modelSize = new DistillationSettings(1, 2, DistillationSettings.MODEL_SIZE, 0.01, 0,
                0.01, 0, 1, new LossWeights(1, 1, 0, 1), Augmentation.NONE, TrainingDevice.CPU, 1);
        assertThatThrownBy(() -> new Distiller(ProgressListener.silent()).run(new DistillationRequest(TEACHER,
                damagedStudent(), images, folder, UnreadableImagePolicy.SKIP, modelSize, Optional.empty())))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("<trainingImageSize>0</trainingImageSize> trains at the model's input size, 16,");
        assertThat(modelSize.resolvedFor(640).imageSize()).isEqualTo(640);
    }

    @Test
    void aStudentWhoseHeadDiffersFromTheTeachersIsRefused(@TempDir Path folder) throws Exception {
        List<Path> images = YoloGraphs.noiseImages(folder.resolve("images"), 2, 40, 3);
        OnnxModel other = OnnxModel.load(SharedData.require("models/yolov8n.onnx"), "<student>");
        assertThatThrownBy(() -> new Distiller(ProgressListener.silent()).run(new DistillationRequest(TEACHER, other,
                images, folder, UnreadableImagePolicy.SKIP, settings(0.01), Optional.empty())))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("does not match the teacher")
                .hasMessageContaining("its Detect head has 3 scales, 16 DFL bins and 80 classes, the teacher's 2, 2 "
                        + "and 2");
    }
}
