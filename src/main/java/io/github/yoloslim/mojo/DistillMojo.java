package io.github.yoloslim.mojo;

import io.github.yoloslim.distill.DistillRequest;
import io.github.yoloslim.distill.DistillResult;
import io.github.yoloslim.distill.Distillation;
import io.github.yoloslim.progress.ProgressListener;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

import java.io.File;

/**
 * Fine-tunes the pruned model on unlabelled images so that it reproduces {@code model} again (knowledge
 * distillation: the original model's box distributions and class scores at every Detect scale are the targets, so
 * no labels are needed), on libtorch in the build's JVM. Writes {@code <name>.distilled.onnx} and
 * {@code distill-report.json}. Bound to {@code process-resources}: after {@code prune} ({@code generate-resources}),
 * before {@code calibrate} ({@code process-classes}), which takes its output by default; with nothing pruned it
 * says so and does nothing.
 */
@Mojo(name = "distill", defaultPhase = LifecyclePhase.PROCESS_RESOURCES, threadSafe = true)
public class DistillMojo extends AbstractTrainingMojo {

    /** Skips this goal only. */
    @Parameter(property = "yoloslim.distill.skip", defaultValue = "false")
    boolean skipDistill;

    /**
     * The model to train (the student): a path, or {@code auto} for the newest earlier pipeline output (the
     * pruned model). When that is {@code model} itself, there is nothing to distil and the goal does nothing.
     */
    @Parameter(property = "yoloslim.distill.input", defaultValue = "auto")
    String distillInput;

    /** A folder of representative images; the default for {@code trainingImages}. */
    @Parameter(property = "yoloslim.calibrationImages", defaultValue = "${project.basedir}/src/test/yolo/calibration")
    File calibrationImages;

    /** Passes over the training images; training time grows in proportion. */
    @Parameter(property = "yoloslim.distill.epochs", defaultValue = "3")
    int epochs;

    @Override
    String goal() {
        return "distill";
    }

    @Override
    boolean goalSkipped() {
        return skipDistill;
    }

    @Override
    String goalSkipProperty() {
        return "yoloslim.distill.skip";
    }

    @Override
    void run(ProgressListener listener) throws Exception {
        DistillResult result = new Distillation(listener).run(request());
        getLog().debug("distill: " + result);
    }

    DistillRequest request() {
        return new DistillRequest(model.toPath().normalize(), optionalPath(distillInput, "auto"),
                trainingImagesFolder(calibrationImages), maxTrainingImages, distillationSettings(epochs),
                unreadableImages(), outputDirectory.toPath());
    }
}
