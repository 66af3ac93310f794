package io.github.yoloslim.cache;

import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.cache.PipelineRecord.ConsumedModel;
import io.github.yoloslim.cache.PipelineRecord.NewestOutput;
import io.github.yoloslim.cache.PipelineRecord.StageOutput;
import io.github.yoloslim.progress.ProgressListener;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * One run of a pipeline stage over the output directory, the skeleton every stage shares: it holds the directory's
 * {@link DirectoryLock} for its duration, resolves the model the stage works on from {@code pipeline.json} (only a
 * current output, see {@link PipelineRecord#check}), says whether the stage's outputs are up to date for a
 * {@link StageKey}, and records what the stage wrote.
 *
 * <pre>{@code
 * try (StageRun run = StageRun.begin(PipelineStage.CALIBRATE, outputDirectory, model, listener)) {
 *     StageInput input = run.input(configuredInput);
 *     StageKey key = run.key(input).parameter("method", method)...;
 *     if (run.upToDate(key).isPresent()) { ... "up to date" ... }
 *     ... write the outputs ...
 *     run.commit(key, input, quantizedFile, List.of(reportFile));
 * }
 * }</pre>
 */
public final class StageRun implements AutoCloseable {

    /**
     * The model a stage works on.
     *
     * @param parameter the setting it came from, for messages: the stage's input element or {@code <model>}
     * @param explanation why this one, for the log
     * @param consumed what {@code pipeline.json} records of it
     */
    public record StageInput(Path file, String parameter, String explanation, ConsumedModel consumed) {

        /** Its content hash. */
        public String sha256() {
            return consumed.sha256();
        }
    }

    private final PipelineStage stage;
    private final Path outputDirectory;
    private final Path model;
    private final String modelSha256;
    private final DirectoryLock lock;
    private final ProgressListener listener;

    private StageRun(PipelineStage stage, Path outputDirectory, Path model, String modelSha256, DirectoryLock lock,
            ProgressListener listener) {
        this.stage = stage;
        this.outputDirectory = outputDirectory;
        this.model = model;
        this.modelSha256 = modelSha256;
        this.lock = lock;
        this.listener = listener;
    }

    /**
     * Prepares and locks {@code outputDirectory} for {@code stage}.
     *
     * @param model the {@code <model>} the pipeline starts from
     * @throws InvalidInputException when the output directory is unusable or {@code model} does not exist
     */
    public static StageRun begin(PipelineStage stage, Path outputDirectory, Path model, ProgressListener listener)
            throws IOException {
        Path directory = OutputDirectory.prepare(outputDirectory);
        DirectoryLock lock = DirectoryLock.acquire(directory, listener);
        try {
            return new StageRun(stage, directory, model, hashOf(model, "<model>"), lock, listener);
        } catch (IOException | RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    /** The output directory, prepared and locked. */
    public Path outputDirectory() {
        return outputDirectory;
    }

    /** The content hash of {@code <model>}. */
    public String modelSha256() {
        return modelSha256;
    }

    /** The pipeline record as it is now. */
    public PipelineRecord record() throws IOException {
        return PipelineRecord.read(outputDirectory);
    }

    /**
     * The model this stage works on: {@code configured}, else the newest current earlier output, else
     * {@code <model>}. A newer output that is not current (made from another model, changed, missing) is passed
     * over with a warning that says why.
     */
    public StageInput input(Optional<Path> configured) throws IOException {
        return input(configured, stage);
    }

    /** As {@link #input(Optional)}, taking the newest current output of the stages before {@code before}. */
    public StageInput input(Optional<Path> configured, PipelineStage before) throws IOException {
        if (configured.isPresent()) {
            Path file = configured.get();
            return new StageInput(file, stage.inputElement(), "configured " + stage.inputElement(),
                    new ConsumedModel("<input>", file.toAbsolutePath().toString(),
                            hashOf(file, stage.inputElement())));
        }
        NewestOutput newest = record().newestOnnxBefore(before, outputDirectory, modelSha256);
        String taken = newest.file().map(file -> file.getFileName().toString()).orElse("<model>");
        for (String reason : newest.passedOver()) {
            listener.warn(reason + "; " + stage.key() + " takes " + taken + " instead. Rerun that stage or run `mvn "
                    + "clean` if the pipeline should start over.");
        }
        if (newest.file().isPresent()) {
            Path file = newest.file().get();
            return new StageInput(file, stage.inputElement(), newest.explanation(), new ConsumedModel(
                    newest.stage().orElseThrow().key(), file.getFileName().toString(), Sha256.ofFile(file)));
        }
        return new StageInput(model, "<model>", "<model> (" + newest.explanation() + ")",
                new ConsumedModel("<model>", model.toString(), modelSha256));
    }

    /** A key for this stage holding the hashes of {@code <model>} and of the model it works on. */
    public StageKey key(StageInput input) {
        return StageKey.of(stage).input("model", modelSha256).input("input", input.sha256());
    }

    /**
     * The recorded entry, when it was made for {@code key} and every file it lists still has the recorded content.
     */
    public Optional<StageOutput> upToDate(StageKey key) throws IOException {
        Optional<StageOutput> entry = record().entry(stage);
        if (entry.isEmpty() || !key.fingerprint().equals(entry.get().fingerprint()) || entry.get().outputs() == null) {
            return Optional.empty();
        }
        for (Map.Entry<String, String> output : entry.get().outputs().entrySet()) {
            Path file = outputDirectory.resolve(output.getKey());
            if (!Files.isRegularFile(file) || !Sha256.ofFile(file).equals(output.getValue())) {
                return Optional.empty();
            }
        }
        return entry;
    }

    /**
     * Records in {@code pipeline.json} that this stage, for {@code key}, made {@code main} (the model or plan a later
     * stage takes) and {@code others} (reports, caches) from {@code input}. Call it after every output is written.
     */
    public StageOutput commit(StageKey key, StageInput input, Path main, List<Path> others) throws IOException {
        if (key.stage() != stage) {
            throw new IllegalArgumentException("a " + key.stage() + " key for a " + stage + " run");
        }
        Map<String, String> outputs = new TreeMap<>();
        String mainHash = Sha256.ofFile(main);
        outputs.put(relative(main), mainHash);
        for (Path other : others) {
            outputs.put(relative(other), Sha256.ofFile(other));
        }
        Map<String, String> inputs = new TreeMap<>(key.inputs());
        inputs.remove("model");
        inputs.remove("input");
        StageOutput output = new StageOutput(relative(main), mainHash, modelSha256, input.consumed(),
                key.fingerprint(), inputs, key.parameters(), outputs, PluginVersion.get());
        record().with(stage, output).write(outputDirectory);
        return output;
    }

    private String relative(Path file) {
        Path relative = outputDirectory.toAbsolutePath().normalize().relativize(file.toAbsolutePath().normalize());
        if (relative.startsWith("..")) {
            throw new IllegalArgumentException(file + " is outside the output directory " + outputDirectory);
        }
        return relative.toString().replace('\\', '/');
    }

    private static String hashOf(Path file, String parameter) throws IOException {
        try {
            if (Files.isDirectory(file)) {
                throw new InvalidInputException(parameter + " " + file + " is a folder; point " + parameter
                        + " at an ONNX file.");
            }
            return Sha256.ofFile(file);
        } catch (NoSuchFileException e) {
            throw new InvalidInputException(parameter + " " + file + " does not exist. Point " + parameter
                    + " at an ONNX file exported from YOLOv8 (e.g. `yolo export model=yolov8n.pt format=onnx`).");
        }
    }

    @Override
    public void close() throws IOException {
        lock.close();
    }
}
