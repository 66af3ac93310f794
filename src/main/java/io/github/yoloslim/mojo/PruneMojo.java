package io.github.yoloslim.mojo;

import io.github.yoloslim.Choices;
import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.data.DatasetSpec;
import io.github.yoloslim.eval.DecodeSettings;
import io.github.yoloslim.eval.EvaluationSettings;
import io.github.yoloslim.onnx.ModelOverrides;
import io.github.yoloslim.progress.ProgressListener;
import io.github.yoloslim.prune.ImportanceCriterion;
import io.github.yoloslim.prune.PruneRequest;
import io.github.yoloslim.prune.Pruner;
import io.github.yoloslim.prune.RecoveryMethod;
import io.github.yoloslim.prune.RecoverySettings;
import io.github.yoloslim.prune.SearchDistillation;
import io.github.yoloslim.prune.SearchSettings;
import io.github.yoloslim.prune.SelectionSettings;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Removes redundant channels from the model, keeping every coupled tensor consistent, and repairs it without
 * retraining: channels are ranked by BatchNorm |γ| (network slimming), the norm of their folded weights, or what
 * their removal costs measured on calibration images (weighed by each layer's measured sensitivity), and the
 * Convs that read removed channels are re-solved by least squares to reproduce the original's outputs. With
 * {@code targetMapDrop} it searches for the largest prune within that mAP budget. Writes
 * {@code <name>.pruned.onnx} and {@code prune-report.json}. Bound to {@code generate-resources}, first in the
 * pipeline; {@code calibrate} and {@code verify-map} take its output by default.
 */
@Mojo(name = "prune", defaultPhase = LifecyclePhase.GENERATE_RESOURCES, threadSafe = true)
public class PruneMojo extends AbstractTrainingMojo {

    /** Skips this goal only. */
    @Parameter(property = "yoloslim.prune.skip", defaultValue = "false")
    boolean skipPrune;

    /**
     * How channels are scored: {@code auto} ({@code reconstruction} with calibration images, else |γ| when
     * BatchNorm is present, else {@code l1}), {@code bn-gamma},
     * {@code l1}, {@code l2}, or measured on {@code calibrationImages}: {@code variance} (what replacing a channel by
     * its mean loses) or {@code reconstruction} (what the kept channels cannot predict), both relative to the layer
     * and per parameter saved, so the budget goes to the layers where removal is cheap.
     */
    @Parameter(property = "yoloslim.prune.criterion", defaultValue = "auto")
    String criterion;

    /** The fraction of prunable channels to remove, ranked globally after normalising each layer's scores. */
    @Parameter(property = "yoloslim.prune.ratio", defaultValue = "0.1")
    double ratio;

    /**
     * Remove every channel scoring below this (in the criterion's units, e.g. |γ|) instead of a ratio; negative
     * prunes by {@code ratio}.
     */
    @Parameter(property = "yoloslim.prune.threshold", defaultValue = "-1")
    double threshold;

    /** Every layer keeps at least this many channels. */
    @Parameter(property = "yoloslim.prune.minChannels", defaultValue = "8")
    int minChannels;

    /** Every layer keeps at least this fraction of its channels. */
    @Parameter(property = "yoloslim.prune.minKeptFraction", defaultValue = "0.25")
    double minKeptFraction;

    /** Kept channel counts are multiples of this (TensorRT kernels prefer aligned counts); 1 does not round. */
    @Parameter(property = "yoloslim.prune.roundTo", defaultValue = "8")
    int roundTo;

    /**
     * Images like those the model sees, for measured criteria, sensitivity, bias absorption and least squares. When
     * the default folder does not exist, only channels that are provably constant (all-zero weights) are absorbed
     * and nothing is re-solved.
     */
    @Parameter(property = "yoloslim.calibrationImages", defaultValue = "${project.basedir}/src/test/yolo/calibration")
    File calibrationImages;

    /**
     * Measure on at most this many of {@code calibrationImages}, spread evenly over the sorted folder; 0 uses all.
     * Least squares costs time in proportion.
     */
    @Parameter(property = "yoloslim.prune.maxPruneImages", defaultValue = "64")
    int maxPruneImages;

    /**
     * How the pruned network makes up for removed channels without retraining: {@code auto} ({@code least-squares}
     * with calibration images, else {@code constants}), {@code constants} (absorb only provably constant channels),
     * {@code means} (absorb measured means into the consumers' biases) or {@code least-squares} (also re-solve every
     * Conv that reads pruned channels to reproduce the original's outputs on the calibration images).
     */
    @Parameter(property = "yoloslim.prune.recovery", defaultValue = "auto")
    String recovery;

    /**
     * Weigh each layer's scores by how much the detections move per unit of its error, measured by pruning each
     * layer alone on a few calibration images, so the budget goes where removal costs little accuracy. Needs
     * {@code calibrationImages}.
     */
    @Parameter(property = "yoloslim.prune.sensitivity", defaultValue = "true")
    String sensitivity;

    /**
     * Least squares' ridge λ, relative to the mean diagonal of the normal equations, pulling each re-solved Conv
     * towards its pruned weights: larger generalises better from few images.
     */
    @Parameter(property = "yoloslim.prune.ridge", defaultValue = "0.1")
    double ridge;

    /** Least squares samples this many output positions per unknown of a Conv, over all calibration images. */
    @Parameter(property = "yoloslim.prune.rowsPerUnknown", defaultValue = "32")
    int rowsPerUnknown;

    /**
     * Search for the largest ratio whose pruned, recovered model loses at most this much mAP50-95 on
     * {@code dataset} (e.g. 0.02), instead of pruning at {@code ratio}; 0 does not search.
     */
    @Parameter(property = "yoloslim.prune.targetMapDrop", defaultValue = "0")
    double targetMapDrop;

    /** The largest ratio the search tries; it starts at 1/32 of this and brackets the target upwards. */
    @Parameter(property = "yoloslim.prune.maxRatio", defaultValue = "0.5")
    double maxRatio;

    /**
     * The search's evaluations at most (each is a prune, a recovery and an evaluation); it usually stops earlier,
     * at {@code searchResolution}.
     */
    @Parameter(property = "yoloslim.prune.searchSteps", defaultValue = "8")
    int searchSteps;

    /**
     * The search stops once the smallest failing ratio is at most this fraction above the largest passing one
     * (0.1: within 10%), or when no other model lies between them after rounding to {@code roundTo}.
     */
    @Parameter(property = "yoloslim.prune.searchResolution", defaultValue = "0.1")
    double searchResolution;

    /**
     * Distil every candidate of the search for this many epochs on {@code trainingImages} (with the {@code distill}
     * goal's recipe: {@code learningRate}, {@code trainingBatch}, {@code trainingImageSize}, ...) before evaluating
     * it, so that the search finds the largest prune that passes after recovery; the chosen candidate is written
     * distilled, and {@code distill} may go on training it. 0 evaluates candidates as pruned. Each epoch costs
     * about as long as one of {@code distill}'s, per candidate.
     */
    @Parameter(property = "yoloslim.prune.searchDistillEpochs", defaultValue = "0")
    int searchDistillEpochs;

    /** Whether a search that finds no ratio within {@code targetMapDrop} fails the build; else the model stays unpruned. */
    @Parameter(property = "yoloslim.prune.failWhenNoReduction", defaultValue = "false")
    String failWhenNoReduction;

    /** The search's evaluation images, read as {@code verify-map} reads them. */
    @Parameter(property = "yoloslim.dataset", defaultValue = "${project.basedir}/src/test/yolo/val")
    File dataset;

    /** The COCO instances file of {@code dataset}; {@code auto} looks beside the images folder. */
    @Parameter(property = "yoloslim.annotations", defaultValue = "auto")
    String annotations;

    /** The layout of {@code dataset}: {@code auto}, {@code coco} or {@code yolo}. */
    @Parameter(property = "yoloslim.datasetFormat", defaultValue = "auto")
    String datasetFormat;

    /** The search evaluates only the first this many images of {@code dataset} (by id); 0 evaluates all. */
    @Parameter(property = "yoloslim.maxEvaluationImages", defaultValue = "0")
    int maxEvaluationImages;

    /** The square input size to run at; 0 takes it from the model. */
    @Parameter(property = "yoloslim.imageSize", defaultValue = "0")
    int imageSize;

    @Override
    String goal() {
        return "prune";
    }

    @Override
    boolean goalSkipped() {
        return skipPrune;
    }

    @Override
    String goalSkipProperty() {
        return "yoloslim.prune.skip";
    }

    @Override
    void run(ProgressListener listener) throws Exception {
        new Pruner(listener).run(request(listener));
    }

    PruneRequest request(ProgressListener listener) {
        Path images = calibrationImages.toPath().normalize();
        Optional<Path> calibration = Optional.of(images);
        // The default folder is optional; a configured one must exist (ImageSelection says so if not).
        if (!Files.exists(images) && images.equals(basedir.toPath().resolve("src/test/yolo/calibration").normalize())) {
            listener.stage("No calibration images at " + images + ": removed channels are deleted without bias "
                    + "absorption or least squares, except provably constant ones. Set <calibrationImages> to "
                    + "repair the pruned model.");
            calibration = Optional.empty();
        }
        ModelOverrides overrides = new ModelOverrides(imageSize, List.of());
        boolean failWithoutReduction = Choices.flag(failWhenNoReduction, "failWhenNoReduction");
        if (searchDistillEpochs < 0 || searchDistillEpochs > 0 && targetMapDrop == 0) {
            throw new InvalidInputException("<searchDistillEpochs>" + searchDistillEpochs + "</searchDistillEpochs> "
                    + (searchDistillEpochs < 0 ? "is out of range: use 0 (evaluate candidates as pruned) or a "
                    + "positive count, e.g. 1." : "distils the candidates of a search, but there is no search: set "
                    + "<targetMapDrop> (e.g. 0.03) to search, or use the distill goal to distil the pruned model."));
        }
        Optional<SearchDistillation> distillation = searchDistillEpochs == 0 ? Optional.empty()
                : Optional.of(new SearchDistillation(trainingImagesFolder(calibrationImages), maxTrainingImages,
                        distillationSettings(searchDistillEpochs)));
        Optional<SearchSettings> search = Optional.empty();
        if (targetMapDrop != 0) {
            search = Optional.of(new SearchSettings(targetMapDrop, maxRatio, searchSteps, searchResolution,
                    new DatasetSpec(dataset.toPath().normalize(), optionalPath(annotations, "auto"),
                            datasetFormat(datasetFormat), maxEvaluationImages),
                    new EvaluationSettings(DecodeSettings.VALIDATION, overrides, threads, 0, unreadableImages()),
                    failWithoutReduction, distillation));
        }
        return new PruneRequest(model.toPath().normalize(), ImportanceCriterion.parse(criterion, "criterion"),
                new SelectionSettings(ratio, threshold, minChannels, minKeptFraction, roundTo),
                new RecoverySettings(RecoveryMethod.parse(recovery, "recovery"), ridge, rowsPerUnknown),
                Choices.flag(sensitivity, "sensitivity"), search, calibration, maxPruneImages, overrides, threads, unreadableImages(), outputDirectory.toPath());
    }
}
