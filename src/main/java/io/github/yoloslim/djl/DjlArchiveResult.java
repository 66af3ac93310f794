package io.github.yoloslim.djl;

import java.nio.file.Path;
import java.util.List;

/**
 * What {@code djl-archive} did.
 *
 * @param archive the written (or unchanged) {@code <name>-djl.zip}
 * @param packaged the ONNX file inside it
 * @param classNames the synset, in class-index order
 * @param applicationClasspath libraries the translator needs on the application's class path besides DJL's API,
 *        as Maven coordinates (the image decoder's, for file inputs)
 */
public record DjlArchiveResult(Outcome outcome, Path archive, Path packaged, List<String> classNames,
        List<String> applicationClasspath) {

    public DjlArchiveResult {
        classNames = List.copyOf(classNames);
        applicationClasspath = List.copyOf(applicationClasspath);
    }

    /** Whether the archive was written. */
    public enum Outcome {
        /** A new archive was written. */
        WRITTEN,
        /** The archive matches its model and settings: nothing was written. */
        UP_TO_DATE
    }
}
