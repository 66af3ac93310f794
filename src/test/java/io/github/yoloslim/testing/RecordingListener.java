package io.github.yoloslim.testing;

import io.github.yoloslim.progress.ProgressListener;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A listener that keeps every line, by level, for tests to assert on; safe to share between threads. */
public final class RecordingListener implements ProgressListener {

    private final List<String> stages = new CopyOnWriteArrayList<>();
    private final List<String> details = new CopyOnWriteArrayList<>();
    private final List<String> warnings = new CopyOnWriteArrayList<>();

    @Override
    public void stage(String message) {
        stages.add(message);
    }

    @Override
    public void detail(String message) {
        details.add(message);
    }

    @Override
    public void warn(String message) {
        warnings.add(message);
    }

    public List<String> stages() {
        return stages;
    }

    public List<String> details() {
        return details;
    }

    public List<String> warnings() {
        return warnings;
    }
}
