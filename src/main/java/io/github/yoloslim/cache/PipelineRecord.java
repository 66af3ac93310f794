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
 * {@code pipeline.json} in the output directory: what each stage wrote, from which model, inputs and parameters.
 * The next goal takes "the newest output" from this record, not from file timestamps, and only an entry that is
 * still <em>current</em> ({@link Freshness}): its file has the recorded content, it was made from today's
 * {@code <model>}, and the model it consumed is itself current. Anything else is passed over with the reason, so
 * that no stage ever builds on, or gates, an artifact of yesterday's network.
 */
public record PipelineRecord(Map<String, StageOutput> stages) {

    /** The record's file name inside the output directory. */
    public static final String FILE_NAME = "pipeline.json";

    /**
     * What one stage wrote.
     *
     * @param file the stage's main output (the model a later stage takes), relative to the output directory
     * @param sha256 its content hash
     * @param modelSha256 the hash of the {@code <model>} the pipeline started from when this ran
     * @param input the model this stage consumed
     * @param fingerprint the {@link StageKey} the outputs were made for; the same key with the same outputs is up
     *     to date
     * @param inputs the hashes of everything else it read, by name
     * @param parameters the settings that shaped the outputs, canonical
     * @param outputs every file it wrote (the main output and its reports), relative name to hash
     */
    public record StageOutput(String file, String sha256, String modelSha256, ConsumedModel input, String fingerprint,
            Map<String, String> inputs, Map<String, Object> parameters, Map<String, String> outputs,
            String pluginVersion) {
    }

    /**
     * The model a stage worked on.
     *
     * @param from {@code <model>}, {@code <input>} (a file the stage's input element named) or the key of the stage
     *     that wrote it
     * @param file its path as configured, or its name in the output directory
     */
    public record ConsumedModel(String from, String file, String sha256) {
    }

    /** Whether a recorded output can still be used, and why not. */
    public enum Freshness {
        CURRENT("is current"),
        MISSING("is missing"),
        CHANGED("changed since it was written"),
        OTHER_MODEL("was made from another <model>"),
        STALE_INPUT("was made from an input that is no longer current"),
        UNKNOWN_FORMAT("was recorded by an older plugin version");

        private final String description;

        Freshness(String description) {
            this.description = description;
        }

        public String description() {
            return description;
        }
    }

    /** One recorded output checked against today's files and model. */
    public record Check(PipelineStage stage, Path file, Freshness freshness, String detail) {

        /** E.g. {@code calibrate output yolov8n.int8.onnx was made from another <model> (...)}. */
        public String describe() {
            return stage.key() + " output " + file.getFileName() + " " + freshness.description()
                    + (detail.isEmpty() ? "" : " (" + detail + ")");
        }
    }

    /**
     * The output that a later stage should take, or why none was taken.
     *
     * @param passedOver why each newer recorded output was not taken
     */
    public record NewestOutput(Optional<Path> file, Optional<PipelineStage> stage, String explanation,
            List<String> passedOver) {

        public NewestOutput {
            passedOver = List.copyOf(passedOver);
        }
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

    /** {@code stage}'s entry, if it has one. */
    public Optional<StageOutput> entry(PipelineStage stage) {
        return Optional.ofNullable(stages.get(stage.key()));
    }

    /**
     * Checks {@code stage}'s recorded output: its file, the model it was made from ({@code modelSha256} is today's
     * {@code <model>}), and the model it consumed, recursively through the stages before it.
     *
     * @return empty when the stage has no entry
     */
    public Optional<Check> check(PipelineStage stage, Path outputDirectory, String modelSha256) throws IOException {
        StageOutput output = stages.get(stage.key());
        if (output == null) {
            return Optional.empty();
        }
        Path file = outputDirectory.resolve(output.file());
        if (output.modelSha256() == null || output.input() == null || output.sha256() == null) {
            return Optional.of(new Check(stage, file, Freshness.UNKNOWN_FORMAT, "rerun " + stage.key()));
        }
        if (!Files.isRegularFile(file)) {
            return Optional.of(new Check(stage, file, Freshness.MISSING, ""));
        }
        if (!FileHashes.sha256(file).equals(output.sha256())) {
            return Optional.of(new Check(stage, file, Freshness.CHANGED, ""));
        }
        if (!output.modelSha256().equals(modelSha256)) {
            return Optional.of(new Check(stage, file, Freshness.OTHER_MODEL, "its <model> had sha256 "
                    + abbreviate(output.modelSha256()) + ", <model> now has " + abbreviate(modelSha256)));
        }
        Optional<String> inputProblem = inputProblem(output.input(), outputDirectory, modelSha256);
        return Optional.of(inputProblem.isPresent()
                ? new Check(stage, file, Freshness.STALE_INPUT, inputProblem.get())
                : new Check(stage, file, Freshness.CURRENT, ""));
    }

    /** Why the model an entry consumed is no longer what it was, if it is not. */
    private Optional<String> inputProblem(ConsumedModel input, Path outputDirectory, String modelSha256)
            throws IOException {
        if (input.from().equals("<model>")) {
            return input.sha256().equals(modelSha256) ? Optional.empty()
                    : Optional.of("<model> " + input.file() + " changed");
        }
        if (input.from().equals("<input>")) {
            Path file = Path.of(input.file());
            return Files.isRegularFile(file) && FileHashes.sha256(file).equals(input.sha256()) ? Optional.empty()
                    : Optional.of("its configured input " + file + " is missing or changed");
        }
        Optional<PipelineStage> upstream = PipelineStage.byKey(input.from());
        if (upstream.isEmpty()) {
            return Optional.of("it names an unknown stage '" + input.from() + "'");
        }
        Optional<Check> check = check(upstream.get(), outputDirectory, modelSha256);
        if (check.isEmpty()) {
            return Optional.of(input.from() + " has no entry any more");
        }
        if (check.get().freshness() != Freshness.CURRENT) {
            return Optional.of(check.get().describe());
        }
        return stages.get(input.from()).sha256().equals(input.sha256()) ? Optional.empty()
                : Optional.of(input.from() + " has written a new " + input.file() + " since");
    }

    /**
     * The newest current ONNX model written by a stage before {@code stage}: what {@code stage} takes by default.
     * Entries that are not current are passed over, and the explanation says why.
     */
    public NewestOutput newestOnnxBefore(PipelineStage stage, Path outputDirectory, String modelSha256)
            throws IOException {
        List<String> passedOver = new ArrayList<>();
        for (PipelineStage earlier : PipelineStage.newestFirst()) {
            if (!earlier.writesOnnx() || earlier.compareTo(stage) >= 0) {
                continue;
            }
            Optional<Check> check = check(earlier, outputDirectory, modelSha256);
            if (check.isEmpty()) {
                continue;
            }
            if (check.get().freshness() == Freshness.CURRENT) {
                return new NewestOutput(Optional.of(check.get().file()), Optional.of(earlier),
                        "newest pipeline output (" + earlier.key() + ")"
                                + (passedOver.isEmpty() ? "" : "; passed over: " + String.join("; ", passedOver)),
                        passedOver);
            }
            passedOver.add(check.get().describe());
        }
        return new NewestOutput(Optional.empty(), Optional.empty(), passedOver.isEmpty()
                ? "no pipeline output recorded in " + outputDirectory.resolve(FILE_NAME)
                : "no current pipeline output: " + String.join("; ", passedOver), passedOver);
    }

    /**
     * The model {@code verify-map} gates by default: the newest ONNX model any stage recorded, which must be
     * current. Unlike a stage's input, a gate never passes a stale or missing newest output over, since it would
     * then pass or fail a model other than the one the pipeline produced.
     *
     * @return empty when no stage recorded an ONNX model
     * @throws InvalidInputException when the newest recorded model is not current, naming it and the fix
     */
    public NewestOutput gateCandidate(Path outputDirectory, String modelSha256) throws IOException {
        for (PipelineStage stage : PipelineStage.newestFirst()) {
            if (!stage.writesOnnx()) {
                continue;
            }
            Optional<Check> check = check(stage, outputDirectory, modelSha256);
            if (check.isEmpty()) {
                continue;
            }
            if (check.get().freshness() != Freshness.CURRENT) {
                throw new InvalidInputException("verify-map has no model to gate: " + check.get().describe()
                        + ", according to " + outputDirectory.resolve(FILE_NAME) + ". Rerun " + stage.key()
                        + " (it may be skipped: -Dyoloslim." + stage.propertyName() + ".skip), run `mvn clean`, "
                        + "or name the model to gate with <candidate>.");
            }
            return new NewestOutput(Optional.of(check.get().file()), Optional.of(stage),
                    "newest pipeline output (" + stage.key() + ")", List.of());
        }
        return new NewestOutput(Optional.empty(), Optional.empty(),
                "no pipeline output recorded in " + outputDirectory.resolve(FILE_NAME), List.of());
    }

    private static String abbreviate(String sha256) {
        return sha256.length() > 12 ? sha256.substring(0, 12) + "…" : sha256;
    }
}
