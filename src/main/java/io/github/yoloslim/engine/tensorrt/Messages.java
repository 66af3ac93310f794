package io.github.yoloslim.engine.tensorrt;

import io.github.yoloslim.progress.ProgressListener;
import org.bytedeco.tensorrt.nvinfer.ILogger;

import java.util.ArrayList;
import java.util.List;

/** What TensorRT logged during one build, plan load or run, and where it goes. */
final class Messages {
    private static final int ERROR = ILogger.Severity.kERROR.value;
    private static final int WARNING = ILogger.Severity.kWARNING.value;

    final ProgressListener listener;
    private final List<String> warnings = new ArrayList<>();
    private final List<String> errors = new ArrayList<>();
    private final List<String> complaints = new ArrayList<>();

    Messages(ProgressListener listener) {
        this.listener = listener;
    }

    synchronized void add(int severity, String message) {
        // kINTERNAL_ERROR (0) and kERROR (1) are errors; then warnings, info (3) and verbose (4).
        if (severity <= ERROR) {
            errors.add(message);
            complaints.add(message);
            warnings.add("error: " + message);
            listener.warn("TensorRT error: " + message);
        } else if (severity == WARNING) {
            complaints.add(message);
            warnings.add(message);
            listener.warn("TensorRT: " + message);
        } else {
            listener.detail("TensorRT: " + message);
        }
    }

    /** A warning of this class's own, for the log and the build's warnings. */
    synchronized void warn(String message) {
        warnings.add(message);
        listener.warn(message);
    }

    synchronized List<String> warnings() {
        return List.copyOf(warnings);
    }

    synchronized List<String> errors() {
        return List.copyOf(errors);
    }

    synchronized String firstError() {
        return errors.isEmpty() ? "TensorRT logged no error" : errors.get(0);
    }

    synchronized String errorsSince(int count) {
        return errors.size() > count ? String.join("; ", errors.subList(count, errors.size()))
                : "TensorRT logged no error";
    }

    /** Errors and warnings so far, to tell whether one call complained. */
    synchronized int complaints() {
        return complaints.size();
    }

    synchronized String lastComplaint(int since) {
        return complaints.size() > since ? complaints.get(complaints.size() - 1) : "TensorRT gave no reason";
    }
}
