package io.github.yoloslim.cache;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.github.yoloslim.InvalidInputException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * {@code pipeline.json} in the output directory: what each stage wrote, from which inputs and with which
 * parameters. The next goal takes "the newest output" from this record, not from file timestamps, and an
 * entry whose file is gone or changed since it was recorded is stale.
 */
public record PipelineRecord(Map<String, StageOutput> stages) {

    /** The record's file name inside the output directory. */
    public static final String FILE_NAME = "pipeline.json";

    /** What one stage wrote. */
    public record StageOutput(String file, String sha256, Map<String, String> inputs, Map<String, Object> parameters,
            String pluginVersion) {
    }

    /** The output that a later stage should take, or why none was taken. */
    public record NewestOutput(Optional<Path> file, String explanation) {
    }

    /**
     * The model a stage works on.
     *
     * @param parameter the setting it came from, for messages: {@code <input>} or {@code <model>}
     * @param explanation why this one, for the log
     */
    public record StageInput(Path file, String parameter, String explanation) {
    }

    public PipelineRecord {
        stages = Collections.unmodifiableMap(new TreeMap<>(stages));
    }

    /** An empty record, for a directory no stage has written to. */
    public static PipelineRecord empty() {
        return new PipelineRecord(Map.of());
    }

    /** Reads the record in {@code outputDirectory}; an empty one when there is none yet. */
    public static PipelineRecord read(Path outputDirectory) throws IOException {
        Path file = outputDirectory.resolve(FILE_NAME);
        if (!Files.isRegularFile(file)) {
            return empty();
        }
        try {
            return Json.mapper().readValue(file.toFile(), PipelineRecord.class);
        } catch (JsonProcessingException e) {
            throw new InvalidInputException(file + " is not a valid pipeline record (" + e.getOriginalMessage()
                    + "). It is written by the yolo-slim goals; delete it (or run `mvn clean`) and rerun.", e);
        }
    }

    /** This record with one stage's entry replaced. */
    public PipelineRecord with(PipelineStage stage, StageOutput output) {
        Map<String, StageOutput> updated = new TreeMap<>(stages);
        updated.put(stage.key(), output);
        return new PipelineRecord(updated);
    }

    /** Writes the record atomically into {@code outputDirectory}. */
    public void write(Path outputDirectory) throws IOException {
        AtomicFiles.write(outputDirectory.resolve(FILE_NAME), Json.mapper().writeValueAsBytes(this));
    }

    /**
     * The model {@code stage} works on: the configured {@code <input>}, else the newest output of the stages
     * before it, else {@code model}.
     */
    public StageInput inputFor(PipelineStage stage, Optional<Path> configured, Path model, Path outputDirectory)
            throws IOException {
        if (configured.isPresent()) {
            return new StageInput(configured.get(), "<input>", "configured <input>");
        }
        NewestOutput newest = newestOnnxBefore(stage, outputDirectory);
        return newest.file().isPresent() ? new StageInput(newest.file().get(), "<input>", newest.explanation())
                : new StageInput(model, "<model>", "<model> (" + newest.explanation() + ")");
    }

    /**
     * The newest ONNX model a stage wrote whose file still has the recorded content: the INT8 model, else the
     * pruned model. The explanation says which was chosen, or why each recorded one was passed over.
     */
    public NewestOutput newestOnnx(Path outputDirectory) throws IOException {
        return newestOnnxBefore(null, outputDirectory);
    }

    /**
     * As {@link #newestOnnx}, among the stages that run before {@code stage} (all stages when null): what
     * {@code stage} takes as its input.
     */
    private NewestOutput newestOnnxBefore(PipelineStage stage, Path outputDirectory) throws IOException {
        List<String> passedOver = new ArrayList<>();
        List<PipelineStage> newestFirst = new ArrayList<>(List.of(PipelineStage.values()));
        Collections.reverse(newestFirst);
        for (PipelineStage earlier : newestFirst) {
            StageOutput output = stages.get(earlier.key());
            if (!earlier.writesOnnx() || output == null || (stage != null && earlier.compareTo(stage) >= 0)) {
                continue;
            }
            Path file = outputDirectory.resolve(output.file());
            if (!Files.isRegularFile(file)) {
                passedOver.add(earlier.key() + " output " + file.getFileName() + " is missing");
            } else if (!Sha256.ofFile(file).equals(output.sha256())) {
                passedOver.add(earlier.key() + " output " + file.getFileName() + " changed since it was recorded");
            } else {
                return new NewestOutput(Optional.of(file), "newest pipeline output (" + earlier.key() + ")"
                        + (passedOver.isEmpty() ? "" : "; passed over: " + String.join(", ", passedOver)));
            }
        }
        return new NewestOutput(Optional.empty(), passedOver.isEmpty()
                ? "no pipeline output recorded in " + outputDirectory.resolve(FILE_NAME)
                : "no usable pipeline output: " + String.join(", ", passedOver));
    }
}
