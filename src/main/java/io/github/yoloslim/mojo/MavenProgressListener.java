package io.github.yoloslim.mojo;

import io.github.yoloslim.progress.ProgressListener;
import org.apache.maven.plugin.logging.Log;

/** Reports core progress to Maven's log: stages at INFO, details at DEBUG, warnings at WARNING. */
final class MavenProgressListener implements ProgressListener {

    private final Log log;

    MavenProgressListener(Log log) {
        this.log = log;
    }

    @Override
    public void stage(String message) {
        log.info(message);
    }

    @Override
    public void detail(String message) {
        if (log.isDebugEnabled()) {
            log.debug(message);
        }
    }

    @Override
    public void warn(String message) {
        log.warn(message);
    }
}
