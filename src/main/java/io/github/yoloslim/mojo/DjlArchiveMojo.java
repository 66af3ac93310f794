package io.github.yoloslim.mojo;

import io.github.yoloslim.Choices;
import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.djl.DjlArchive;
import io.github.yoloslim.djl.DjlArchiveRequest;
import io.github.yoloslim.djl.DjlArchiveResult;
import io.github.yoloslim.eval.DecodeSettings;
import io.github.yoloslim.onnx.ModelOverrides;
import io.github.yoloslim.progress.ProgressListener;
import org.apache.maven.plugins.annotations.Component;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.project.MavenProject;
import org.apache.maven.project.MavenProjectHelper;

import java.util.List;

/**
 * Packages the newest model of the pipeline (the INT8 Q/DQ model, else the distilled or pruned one, else
 * {@code model}) as a DJL model archive, {@code <name>-djl.zip}: the model, its class names as DJL's synset,
 * {@code serving.properties} naming the OnnxRuntime engine, and a translator that letterboxes and decodes as
 * {@code verify-map} does. Attaches it to the project (type {@code zip}, classifier {@code djl}) so an application
 * depends on it like any artifact, puts it on its class path, and loads it with DJL's {@code Criteria}.
 */
@Mojo(name = "djl-archive", defaultPhase = LifecyclePhase.PACKAGE, threadSafe = true)
public class DjlArchiveMojo extends AbstractYoloSlimMojo {

    /** Skips this goal only. */
    @Parameter(property = "yoloslim.djl.skip", defaultValue = "false")
    boolean skipDjlArchive;

    /** The ONNX model to package: a path, or {@code auto} for the newest pipeline output, else {@code model}. */
    @Parameter(property = "yoloslim.djl.input", defaultValue = "auto")
    String djlInput;

    /** The translator's default class score threshold; an application may override it per model argument. */
    @Parameter(property = "yoloslim.djl.confidenceThreshold", defaultValue = "0.25")
    double djlConfidenceThreshold;

    /** The translator's NMS IoU threshold: a box overlapping a better one of its class by more is dropped. */
    @Parameter(property = "yoloslim.djl.iouThreshold", defaultValue = "0.7")
    double djlIouThreshold;

    /** The translator's most detections per image, highest scores first. */
    @Parameter(property = "yoloslim.djl.maxDetections", defaultValue = "300")
    int djlMaxDetections;

    /**
     * {@code false}: each box gets its best class, as deployments decode; {@code true}: every class above the
     * threshold makes a detection, as {@code yolo val} scores.
     */
    @Parameter(property = "yoloslim.djl.multiLabel", defaultValue = "false")
    String djlMultiLabel;

    /** The square input size the model runs at; 0 takes it from the model. */
    @Parameter(property = "yoloslim.imageSize", defaultValue = "0")
    int imageSize;

    /** The model's class names in class-index order, for the synset; empty takes them from the model's metadata. */
    @Parameter(property = "yoloslim.classNames")
    List<String> classNames = List.of();

    /** Attach the archive to the project, so {@code install} and {@code deploy} publish it. */
    @Parameter(property = "yoloslim.djl.attach", defaultValue = "true")
    String djlAttach;

    /** The attached archive's classifier. */
    @Parameter(property = "yoloslim.djl.classifier", defaultValue = "djl")
    String djlClassifier;

    /** The project the archive is attached to. */
    @Parameter(defaultValue = "${project}", readonly = true, required = true)
    MavenProject project;

    @Component
    MavenProjectHelper projectHelper;

    @Override
    String goal() {
        return "djl-archive";
    }

    @Override
    boolean goalSkipped() {
        return skipDjlArchive;
    }

    @Override
    String goalSkipProperty() {
        return "yoloslim.djl.skip";
    }

    @Override
    void run(ProgressListener listener) throws Exception {
        DjlArchiveRequest request = request();
        boolean attach = Choices.flag(djlAttach, "djlAttach");
        DjlArchiveResult result = new DjlArchive(listener).run(request);
        if (!result.applicationClasspath().isEmpty()) {
            getLog().info("An application loads " + result.archive().getFileName() + " with the archive on its class "
                    + "path beside DJL's API and OnnxRuntime engine; image files as input also need "
                    + String.join(", ", result.applicationClasspath()));
        }
        if (attach) {
            projectHelper.attachArtifact(project, "zip", djlClassifier.trim(), result.archive().toFile());
            getLog().info("Attached " + result.archive().getFileName() + " as type zip, classifier "
                    + djlClassifier.trim());
        }
    }

    DjlArchiveRequest request() {
        if (djlClassifier == null || djlClassifier.isBlank() || !djlClassifier.trim().matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
            throw new InvalidInputException("<djlClassifier>" + djlClassifier + "</djlClassifier> is not "
                    + "a Maven classifier: use letters, digits, '.', '_' or '-', e.g. djl.");
        }
        return new DjlArchiveRequest(model.toPath().normalize(), optionalPath(djlInput, "auto"),
                new DecodeSettings(djlConfidenceThreshold, djlIouThreshold, djlMaxDetections,
                        Choices.flag(djlMultiLabel, "djlMultiLabel")),
                new ModelOverrides(imageSize, classNames == null ? List.of() : classNames), outputDirectory.toPath());
    }
}
