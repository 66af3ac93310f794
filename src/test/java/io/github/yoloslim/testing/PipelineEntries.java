package io.github.yoloslim.testing;

import io.github.yoloslim.cache.PipelineStage;
import io.github.yoloslim.cache.StageKey;
import io.github.yoloslim.cache.StageRun;
import io.github.yoloslim.progress.ProgressListener;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** Records a file in {@code pipeline.json} as if {@code stage} had made it from {@code model}, through the real record. */
public final class PipelineEntries {

    private PipelineEntries() {
    }

    /** Records {@code file} (inside {@code outputDirectory}) as {@code stage}'s current output, made from {@code model}. */
    public static void record(Path outputDirectory, PipelineStage stage, Path file, Path model) throws IOException {
        try (StageRun run = StageRun.begin(stage, outputDirectory, model, ProgressListener.silent())) {
            StageRun.StageInput input = run.input(Optional.empty());
            StageKey key = run.key(input).parameter("recordedBy", "test");
            run.commit(key, input, file, List.of());
        }
    }
}
