package io.github.yoloslim.mojo;

import io.github.yoloslim.onnx.ModelOverrides;
import io.github.yoloslim.progress.ProgressListener;
import io.github.yoloslim.prune.ImportanceCriterion;
import io.github.yoloslim.prune.PruneRequest;
import io.github.yoloslim.prune.Pruner;
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
 * Removes redundant channels from the model (network slimming: channels ranked by BatchNorm |γ|, or by the norm
 * of their folded weights), keeping every coupled tensor consistent, and writes {@code <name>.pruned.onnx} and
 * {@code prune-report.json}. Bound to {@code generate-resources}, first in the pipeline; {@code calibrate} and
 * {@code verify-map} take its output by default.
 */
@Mojo(name = "prune", defaultPhase = LifecyclePhase.GENERATE_RESOURCES, threadSafe = true)
public class PruneMojo extends AbstractYoloSlimMojo {

    /** Skips this goal only. */
    @Parameter(property = "yoloslim.prune.skip", defaultValue = "false")
    boolean skipPrune;

    /** How channels are scored: {@code auto} (|γ| when BatchNorm is present, else {@code l1}), {@code bn-gamma}, {@code l1}, {@code l2}. */
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
     * Images whose activation means the consumers of removed channels absorb into their bias. When the default
     * folder does not exist, only channels that are provably constant (all-zero weights) are absorbed.
     */
    @Parameter(property = "yoloslim.prune.images", defaultValue = "${project.basedir}/src/test/yolo/calibration")
    File calibrationImages;

    /** Use at most this many calibration images, spread evenly over the folder. */
    @Parameter(property = "yoloslim.prune.maxImages", defaultValue = "64")
    int maxImages;

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
                    + "absorption, except provably constant ones. Set <calibrationImages> to absorb measured means.");
            calibration = Optional.empty();
        }
        return new PruneRequest(model.toPath().normalize(), ImportanceCriterion.parse(criterion, "criterion"),
                new SelectionSettings(ratio, threshold, minChannels, minKeptFraction, roundTo), calibration, maxImages,
                new ModelOverrides(imageSize, List.of()), threads, outputDirectory.toPath());
    }
}
