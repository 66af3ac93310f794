package io.github.yoloslim.report;

import io.github.yoloslim.cache.AtomicFiles;
import io.github.yoloslim.cache.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code report-state.json}: what the page needs that no stage report holds: how long each goal took to make its
 * current output, and where verify-map wrote its report when {@code <reportFile>} is outside the output directory.
 *
 * @param goals by goal name
 * @param mapReport verify-map's last report, absolute; null for the default place
 */
record ReportState(Map<String, GoalRun> goals, String mapReport) {

    static final String FILE_NAME = "report-state.json";

    /**
     * One goal's last run that made something.
     *
     * @param output the content hash of the stage's main output that run left; null for verify-map
     */
    record GoalRun(double seconds, String output) {
    }

    ReportState {
        goals = Collections.unmodifiableMap(new TreeMap<>(goals == null ? Map.of() : goals));
    }

    /** The state in {@code directory}; an empty one when there is none or it cannot be read (it is only timings). */
    static ReportState read(Path directory) {
        Path file = directory.resolve(FILE_NAME);
        if (Files.isRegularFile(file)) {
            try {
                return Json.mapper().readValue(file.toFile(), ReportState.class);
            } catch (IOException e) {
                // An unreadable state loses timings only; the next write replaces it.
            }
        }
        return new ReportState(Map.of(), null);
    }

    /** This state with {@code goal}'s run recorded. */
    ReportState with(String goal, GoalRun run) {
        Map<String, GoalRun> updated = new TreeMap<>(goals);
        updated.put(goal, run);
        return new ReportState(updated, mapReport);
    }

    ReportState withMapReport(String file) {
        return new ReportState(goals, file);
    }

    void write(Path directory) throws IOException {
        AtomicFiles.write(directory.resolve(FILE_NAME), Json.mapper().writeValueAsBytes(this));
    }
}
