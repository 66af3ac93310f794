package io.github.yoloslim.mojo;

import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.cache.ArtifactNames;
import io.github.yoloslim.data.DatasetFormat;
import io.github.yoloslim.engine.EngineUnavailableException;
import io.github.yoloslim.progress.ProgressListener;
import io.github.yoloslim.report.HtmlReport;
import io.github.yoloslim.report.ReportRequest;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.Parameter;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * What every yolo-slim goal shares: the model, the output folder, threads and the skip switches, and the one
 * place where core exceptions become Maven's failures (the user's input) or errors (infrastructure).
 */
abstract class AbstractYoloSlimMojo extends AbstractMojo {

    /** Skips every yolo-slim goal. */
    @Parameter(property = "yoloslim.skip", defaultValue = "false")
    boolean skip;

    /** The application's YOLOv8 detection model (ONNX, as exported by Ultralytics). */
    @Parameter(property = "yoloslim.model", defaultValue = "${project.basedir}/src/main/yolo/model.onnx")
    File model;

    /** Where the goals write their outputs, {@code pipeline.json} and caches. */
    @Parameter(property = "yoloslim.outputDirectory", defaultValue = "${project.build.directory}/yolo-slim")
    File outputDirectory;

    /** ONNX Runtime threads for CPU inference; 0 uses one per available processor. */
    @Parameter(property = "yoloslim.threads", defaultValue = "0")
    int threads;

    /** The project's base directory, against which relative paths in string parameters are resolved. */
    @Parameter(defaultValue = "${project.basedir}", readonly = true, required = true)
    File basedir;

    /** The goal's name, for log lines. */
    abstract String goal();

    /** The goal's own skip switch and the property that sets it. */
    abstract boolean goalSkipped();

    /** The property of {@link #goalSkipped()}, for the skip message. */
    abstract String goalSkipProperty();

    /** Does the goal's work. */
    abstract void run(ProgressListener listener) throws Exception;

    @Override
    public final void execute() throws MojoExecutionException, MojoFailureException {
        if (skip) {
            getLog().info("Skipping yolo-slim:" + goal() + ": yoloslim.skip is true");
            return;
        }
        if (goalSkipped()) {
            getLog().info("Skipping yolo-slim:" + goal() + ": " + goalSkipProperty() + " is true");
            return;
        }
        ProgressListener listener = new MavenProgressListener(getLog());
        long start = System.nanoTime();
        boolean completed = false;
        try {
            run(listener);
            completed = true;
        } catch (InvalidInputException e) {
            throw new MojoFailureException(e.getMessage(), e);
        } catch (MojoFailureException | MojoExecutionException e) {
            throw e;
        } catch (EngineUnavailableException e) {
            throw new MojoExecutionException(e.getMessage(), e);
        } catch (Exception e) {
            throw new MojoExecutionException("yolo-slim:" + goal() + " failed: " + e, e);
        } finally {
            updateReport(listener, completed, (System.nanoTime() - start) / 1e9);
        }
    }

    /** Where verify-map wrote its report; the other goals write none. */
    Optional<Path> mapReport() {
        return Optional.empty();
    }

    /**
     * Rebuilds {@code report.html} after the goal, also when it failed (a failed gate's report is the one to look
     * at). The page only shows what the goal wrote, so a page that cannot be written is a warning, never the goal's
     * failure, and never hides the goal's own exception.
     */
    private void updateReport(ProgressListener listener, boolean completed, double goalSeconds) {
        try {
            HtmlReport.Result result = new HtmlReport(listener).update(new ReportRequest(outputDirectory.toPath(),
                    model.toPath().normalize(), goal(), completed ? OptionalDouble.of(goalSeconds)
                            : OptionalDouble.empty(), mapReport()));
            getLog().debug(String.format(Locale.ROOT, "%s %s in %.3f s (%.1f %% of yolo-slim:%s's %.1f s)",
                    result.file(), result.rebuilt() ? "rebuilt" : "up to date", result.seconds(),
                    100 * result.seconds() / goalSeconds, goal(), goalSeconds));
        } catch (IOException | RuntimeException e) {
            getLog().warn("Could not write " + ArtifactNames.HTML_REPORT + " in " + outputDirectory + ": " + e);
        }
    }

    /**
     * A path given as a string parameter with a keyword for "work it out": empty when the value is the keyword,
     * else the path, relative ones resolved against the project.
     */
    Optional<Path> optionalPath(String value, String keyword) {
        if (value == null || value.isBlank() || value.trim().equals(keyword)) {
            return Optional.empty();
        }
        Path path = Path.of(value.trim());
        return Optional.of(path.isAbsolute() ? path : basedir.toPath().resolve(path).normalize());
    }

    /** Parses {@code <datasetFormat>}: {@code auto} (empty), {@code coco} or {@code yolo}. */
    static Optional<DatasetFormat> datasetFormat(String value) {
        String normalised = value == null ? "auto" : value.trim().toLowerCase(Locale.ROOT);
        return switch (normalised) {
            case "auto", "" -> Optional.empty();
            case "coco" -> Optional.of(DatasetFormat.COCO);
            case "yolo" -> Optional.of(DatasetFormat.YOLO);
            default -> throw new InvalidInputException("<datasetFormat>" + value
                    + "</datasetFormat> is not a valid choice: use auto, coco or yolo.");
        };
    }
}
