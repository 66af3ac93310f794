package io.github.yoloslim.report;

import io.github.yoloslim.cache.ArtifactNames;
import io.github.yoloslim.cache.AtomicFiles;
import io.github.yoloslim.cache.DirectoryLock;
import io.github.yoloslim.cache.FileHashes;
import io.github.yoloslim.cache.PipelineRecord;
import io.github.yoloslim.cache.PipelineRecord.StageOutput;
import io.github.yoloslim.cache.PipelineStage;
import io.github.yoloslim.cache.PluginVersion;
import io.github.yoloslim.cache.Sha256;
import io.github.yoloslim.progress.ProgressListener;
import io.github.yoloslim.report.ReportState.GoalRun;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Writes {@code report.html} in the output directory after a goal: records the goal's time, then rebuilds the whole
 * page from every stage report there, so that goals of one build, or of separate invocations, all appear and the page
 * always agrees with the reports. When nothing it is built from changed, the page is left as it is.
 */
public final class HtmlReport {

    /**
     * What an update did.
     *
     * @param rebuilt false when the page was up to date, or when there is no output directory to report on
     */
    public record Result(Path file, boolean rebuilt, double seconds) {
    }

    private final ProgressListener listener;

    public HtmlReport(ProgressListener listener) {
        this.listener = listener;
    }

    /** Records {@code request}'s goal and rebuilds the page if anything it shows changed. */
    public Result update(ReportRequest request) throws IOException {
        long start = System.nanoTime();
        Path directory = request.outputDirectory();
        Path page = directory.resolve(ArtifactNames.HTML_REPORT);
        // A goal that failed before making its folder has nothing to show.
        if (!Files.isDirectory(directory) || !Files.isWritable(directory)) {
            return new Result(page, false, 0);
        }
        try (DirectoryLock lock = DirectoryLock.acquire(directory, listener)) {
            recordGoal(request);
            ReportSources sources = ReportSources.read(directory, request.model());
            String fingerprint = fingerprint(sources);
            if (fingerprint.equals(pageFingerprint(page))) {
                return new Result(page, false, (System.nanoTime() - start) / 1e9);
            }
            String modelSha256 = Files.isRegularFile(request.model()) ? FileHashes.sha256(request.model()) : null;
            DrawnSections sections = new DrawnSections(Files.isRegularFile(page)
                    ? new String(Files.readAllBytes(page), StandardCharsets.UTF_8) : "");
            byte[] html = ReportPage.html(sources.readReports(), modelSha256, fingerprint, sections)
                    .getBytes(StandardCharsets.UTF_8);
            AtomicFiles.write(page, html);
            listener.detail(sections.drawn() + " plotted sections drawn, " + sections.reused() + " kept from the "
                    + "previous page");
            return new Result(page, true, (System.nanoTime() - start) / 1e9);
        }
    }

    /**
     * Keeps the goal's time with the output it made. An output the goal found up to date keeps the time of the run
     * that made it.
     */
    private static void recordGoal(ReportRequest request) throws IOException {
        Path directory = request.outputDirectory();
        ReportState state = ReportState.read(directory);
        ReportState updated = state;
        Optional<PipelineStage> stage = PipelineStage.byKey(request.goal());
        if (stage.isPresent() && request.seconds().isPresent()) {
            Optional<StageOutput> entry = PipelineRecord.read(directory).entry(stage.get());
            GoalRun previous = state.goals().get(request.goal());
            if (entry.isPresent() && entry.get().sha256() != null
                    && (previous == null || !entry.get().sha256().equals(previous.output()))) {
                updated = state.with(request.goal(), new GoalRun(request.seconds().getAsDouble(),
                        entry.get().sha256()));
            }
        }
        if (request.mapReport().isPresent() && Files.isRegularFile(request.mapReport().get())) {
            Path file = request.mapReport().get().toAbsolutePath().normalize();
            boolean inPlace = file.equals(directory.resolve(ArtifactNames.MAP_REPORT).toAbsolutePath().normalize());
            updated = updated.withMapReport(inPlace ? null : file.toString());
        }
        if (!updated.equals(state)) {
            updated.write(directory);
        }
    }

    /**
     * The hash of everything the page shows: the reports' bytes, the pipeline's files by size and time (their content
     * is what {@code pipeline.json} checks), {@code <model>} likewise, and the plugin version that draws the page.
     */
    private static String fingerprint(ReportSources sources) throws IOException {
        Sha256 hash = Sha256.builder().add("plugin", PluginVersion.get()).add("model", sources.model.toAbsolutePath());
        stat(hash, sources.model);
        for (Path file : sources.files()) {
            hash.add("file", file.getFileName());
            if (Files.isRegularFile(file)) {
                hash.addFile(file);
            } else {
                hash.add("absent", true);
            }
        }
        for (StageOutput entry : sources.pipeline.stages().values()) {
            stat(hash, sources.directory.resolve(entry.file()));
        }
        return hash.hex();
    }

    private static void stat(Sha256 hash, Path file) throws IOException {
        hash.add("path", file.getFileName());
        if (Files.isRegularFile(file)) {
            hash.add("size", Files.size(file)).add("modified", Files.getLastModifiedTime(file).toMillis());
        } else {
            hash.add("absent", true);
        }
    }

    /** The fingerprint in the page's head, or empty when there is no page. */
    private static String pageFingerprint(Path page) throws IOException {
        if (!Files.isRegularFile(page)) {
            return "";
        }
        byte[] head;
        try (InputStream in = Files.newInputStream(page)) {
            head = in.readNBytes(1024);
        }
        String text = new String(head, StandardCharsets.UTF_8);
        String marker = "<meta name=\"" + ReportPage.FINGERPRINT_META + "\" content=\"";
        int at = text.indexOf(marker);
        int end = at < 0 ? -1 : text.indexOf('"', at + marker.length());
        return end < 0 ? "" : text.substring(at + marker.length(), end);
    }
}
