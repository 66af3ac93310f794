package io.github.yoloslim.testing;

import io.github.yoloslim.progress.ProgressListener;

/** The benchmarks' listener: stage lines and warnings to standard output, details dropped. */
public final class ConsoleListener implements ProgressListener {

    @Override
    public void stage(String message) {
        System.out.println(message);
    }

    @Override
    public void detail(String message) {
    }

    @Override
    public void warn(String message) {
        System.out.println("WARNING " + message);
    }
}
