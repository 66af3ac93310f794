package io.github.yoloslim.mojo;

import io.github.yoloslim.Choices;
import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.engine.BatchProfile;
import io.github.yoloslim.engine.BuildEngineRequest;
import io.github.yoloslim.engine.EngineBuildException;
import io.github.yoloslim.engine.EngineBuilder;
import io.github.yoloslim.engine.EngineBuilders;
import io.github.yoloslim.engine.EngineFactory;
import io.github.yoloslim.engine.EngineResult;
import io.github.yoloslim.engine.MissingTensorRtPolicy;
import io.github.yoloslim.engine.Precision;
import io.github.yoloslim.onnx.ModelOverrides;
import io.github.yoloslim.progress.ProgressListener;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.Component;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.project.MavenProject;
import org.apache.maven.project.MavenProjectHelper;

import java.io.File;
import java.util.List;
import java.util.Optional;

/**
 * Builds a TensorRT engine ({@code <name>.plan}) from the newest model of the pipeline (the INT8 Q/DQ model,
 * else the pruned one, else {@code model}), writes {@code engine-manifest.json}, and attaches the plan to the
 * project (type {@code plan}, classifier e.g. {@code trt10.15-sm90}) so {@code install} and {@code deploy}
 * publish it. A rerun with the same inputs on the same TensorRT and GPU is up to date. Needs TensorRT and an
 * NVIDIA GPU; {@code onMissingTensorRt} says what to do without them.
 */
@Mojo(name = "build-engine", defaultPhase = LifecyclePhase.PACKAGE, threadSafe = true)
public class BuildEngineMojo extends AbstractYoloSlimMojo {

    /** Skips this goal only. */
    @Parameter(property = "yoloslim.engine.skip", defaultValue = "false")
    boolean skipEngine;

    /** The ONNX model to build from: a path, or {@code auto} for the newest pipeline output, else {@code model}. */
    @Parameter(property = "yoloslim.engine.input", defaultValue = "auto")
    String engineInput;

    /**
     * {@code auto} (int8 for a Q/DQ model, else fp16), {@code int8} (explicit, from the Q/DQ model),
     * {@code int8-implicit} (the float model with {@code calibration.cache}), {@code fp16}, {@code fp32} or
     * {@code best}.
     */
    @Parameter(property = "yoloslim.engine.precision", defaultValue = "auto")
    String precision;

    /** The builder's workspace memory limit, in MiB. */
    @Parameter(property = "yoloslim.engine.workspaceMiB", defaultValue = "2048")
    long workspaceMiB;

    /** TensorRT's builder optimisation level, 0 (fastest build) to 5 (most tactics). */
    @Parameter(property = "yoloslim.engine.optimizationLevel", defaultValue = "3")
    int optimizationLevel;

    /** For a model with a dynamic batch: {@code min,opt,max} batch sizes, e.g. {@code 1,4,8}; empty otherwise. */
    @Parameter(property = "yoloslim.engine.batchProfile", defaultValue = "")
    String batchProfile;

    /** TensorRT's timing cache, read and updated by every build so rebuilds are faster and pick the same tactics. */
    @Parameter(property = "yoloslim.engine.timingCache", defaultValue = "${project.build.directory}/yolo-slim/timing.cache")
    File timingCache;

    /** Without TensorRT or a GPU: {@code fail} the build, or {@code skip} the engine and go on. */
    @Parameter(property = "yoloslim.engine.onMissingTensorRt", defaultValue = "fail")
    String onMissingTensorRt;

    /** Attach the plan to the project, so {@code install} and {@code deploy} publish it. */
    @Parameter(property = "yoloslim.engine.attach", defaultValue = "true")
    String attach;

    /** The attached plan's classifier; {@code auto} names the TensorRT version and GPU architecture. */
    @Parameter(property = "yoloslim.engine.classifier", defaultValue = "auto")
    String classifier;

    /** The square input size; 0 takes it from the model. */
    @Parameter(property = "yoloslim.imageSize", defaultValue = "0")
    int imageSize;

    /** The project the plan is attached to. */
    @Parameter(defaultValue = "${project}", readonly = true, required = true)
    MavenProject project;

    @Component
    MavenProjectHelper projectHelper;

    /** The engine builder; the one registered with ServiceLoader unless a test sets another. */
    EngineBuilder engineBuilder;

    @Override
    String goal() {
        return "build-engine";
    }

    @Override
    boolean goalSkipped() {
        return skipEngine;
    }

    @Override
    String goalSkipProperty() {
        return "yoloslim.engine.skip";
    }

    @Override
    void run(ProgressListener listener) throws Exception {
        EngineBuilder builder = engineBuilder != null ? engineBuilder : EngineBuilders.load();
        EngineResult result;
        try {
            result = new EngineFactory(builder, listener).run(request());
        } catch (EngineBuildException e) {
            String details = e.details().isEmpty() ? "" : "\n  " + String.join("\n  ", e.details());
            if (e.kind() == EngineBuildException.Kind.BUILD_FAILED) {
                throw new MojoExecutionException(e.getMessage() + details, e);
            }
            throw new MojoFailureException(e.getMessage() + details, e);
        }
        if (Choices.flag(attach, "attach") && result.plan() != null) {
            projectHelper.attachArtifact(project, "plan", result.classifier(), result.plan().toFile());
            getLog().info("Attached " + result.plan().getFileName() + " as type plan, classifier "
                    + result.classifier());
        }
    }

    BuildEngineRequest request() {
        Optional<Precision> chosen = precision == null || precision.isBlank() || precision.trim().equals("auto")
                ? Optional.empty() : Optional.of(Precision.parse(precision, "precision"));
        Optional<String> named = classifier == null || classifier.isBlank() || classifier.trim().equals("auto")
                ? Optional.empty() : Optional.of(classifier.trim());
        return new BuildEngineRequest(model.toPath().normalize(), optionalPath(engineInput, "auto"), chosen,
                workspaceMiB << 20, optimizationLevel, profile(batchProfile), timingCache.toPath(),
                MissingTensorRtPolicy.parse(onMissingTensorRt, "onMissingTensorRt"), named,
                new ModelOverrides(imageSize, List.of()), outputDirectory.toPath());
    }

    private static Optional<BatchProfile> profile(String value) {
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        if (!value.matches("\\s*\\d{1,6}\\s*,\\s*\\d{1,6}\\s*,\\s*\\d{1,6}\\s*")) {
            throw new InvalidInputException("<batchProfile>" + value + "</batchProfile> is not min,opt,max: give "
                    + "three batch sizes, e.g. 1,4,8.");
        }
        String[] parts = value.split(",");
        return Optional.of(new BatchProfile(Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim()),
                Integer.parseInt(parts[2].trim())));
    }
}
