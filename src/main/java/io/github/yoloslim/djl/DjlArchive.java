package io.github.yoloslim.djl;

import io.github.yoloslim.cache.ArtifactNames;
import io.github.yoloslim.cache.AtomicFiles;
import io.github.yoloslim.cache.FileSnapshot;
import io.github.yoloslim.cache.OutputDirectory;
import io.github.yoloslim.cache.PipelineStage;
import io.github.yoloslim.cache.PluginVersion;
import io.github.yoloslim.cache.StageKey;
import io.github.yoloslim.cache.StageRun;
import io.github.yoloslim.cache.StageRun.StageInput;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.onnx.YoloModelInfo;
import io.github.yoloslim.onnx.YoloModelInspector;
import io.github.yoloslim.progress.ProgressListener;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * {@code djl-archive}'s core: packages the newest model of the pipeline as a DJL model archive,
 * {@code <name>-djl.zip}, that DJL's {@code Criteria} loads with the OnnxRuntime engine and no code of the
 * application's: {@code model.onnx}, {@code synset.txt} (the class names), {@code serving.properties} (engine,
 * translator factory, input size, output layout, decoding), and the translator's class files, so that the archive
 * on the application's class path is also where DJL finds the translator. The archive is reproducible: entries
 * sorted, fixed timestamps, so the same model and settings give the same bytes.
 */
public final class DjlArchive {

    /** The ONNX file's name inside the archive; DJL's OnnxRuntime engine looks for it by this name. */
    public static final String MODEL_ENTRY = "model.onnx";
    /** The file DJL reads the engine, translator factory and its arguments from. */
    public static final String SERVING_PROPERTIES = "serving.properties";
    /** DJL's engine name for ONNX Runtime. */
    public static final String ENGINE = "OnnxRuntime";

    /** 1980-02-01, the earliest time a zip entry holds without a timezone shift (as Maven's reproducible builds). */
    private static final FileTime ENTRY_TIME = FileTime.fromMillis(315_532_800_000L + 31L * 86_400_000L);

    private final ProgressListener listener;

    public DjlArchive(ProgressListener listener) {
        this.listener = listener;
    }

    /** Writes the archive, or reports it up to date. */
    public DjlArchiveResult run(DjlArchiveRequest request) throws IOException {
        try (StageRun run = StageRun.begin(PipelineStage.DJL_ARCHIVE, request.outputDirectory(), request.model(),
                listener)) {
            return write(run, request);
        }
    }

    private DjlArchiveResult write(StageRun run, DjlArchiveRequest request) throws IOException {
        StageInput input = run.input(request.input());
        listener.detail("djl-archive input: " + input.explanation());
        FileSnapshot snapshot = OnnxModel.read(input.file(), input.parameter());
        OnnxModel model = OnnxModel.parse(snapshot, input.parameter());
        YoloModelInfo info = YoloModelInspector.inspect(model, input.parameter(), request.overrides());
        TranslatorSettings settings = new TranslatorSettings(info.inputWidth(), info.inputHeight(), info.layout(),
                request.decode());
        TranslatorClasses classes = TranslatorClasses.collect();
        StageKey key = run.key(input).input("translator", classes.sha256()).names("classNames", info.classNames());
        settings.properties().forEach(key::parameter);
        Path archive = run.outputDirectory().resolve(ArtifactNames.djlArchive(request.model()));
        OutputDirectory.requireWritable(archive);
        if (run.upToDate(key).isPresent()) {
            listener.stage("DJL archive up to date: " + archive.getFileName() + " matches "
                    + input.file().getFileName() + " and the settings");
            return new DjlArchiveResult(DjlArchiveResult.Outcome.UP_TO_DATE, archive, input.file(),
                    info.classNames(), List.copyOf(classes.libraries()));
        }
        long start = System.nanoTime();
        Map<String, byte[]> entries = new TreeMap<>(classes.classFiles());
        entries.put("META-INF/MANIFEST.MF", ("Manifest-Version: 1.0\r\nCreated-By: yolo-slim-maven-plugin "
                + PluginVersion.get() + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        entries.put(MODEL_ENTRY, snapshot.bytes());
        entries.put(LetterboxTranslatorFactory.SYNSET,
                (String.join("\n", info.classNames()) + "\n").getBytes(StandardCharsets.UTF_8));
        entries.put(SERVING_PROPERTIES, servingProperties(settings, input).getBytes(StandardCharsets.ISO_8859_1));
        AtomicFiles.write(archive, out -> zip(entries, out));
        run.commit(key, input, archive, List.of());
        listener.stage(String.format(Locale.ROOT, "Wrote %s (%.1f MB: %s, %d class names, translator of %d classes) "
                + "in %.1f s", archive.getFileName(), Files.size(archive) / 1e6, input.file().getFileName(),
                info.numClasses(), classes.classFiles().size(), (System.nanoTime() - start) / 1e9));
        return new DjlArchiveResult(DjlArchiveResult.Outcome.WRITTEN, archive, input.file(), info.classNames(),
                List.copyOf(classes.libraries()));
    }

    private static String servingProperties(TranslatorSettings settings, StageInput input) {
        List<String> lines = new ArrayList<>();
        lines.add("# DJL model archive written by yolo-slim-maven-plugin " + PluginVersion.get() + " from "
                + input.file().getFileName() + " (sha256 " + input.sha256() + ").");
        lines.add("# Put this archive on the application's class path: it holds the translator named below.");
        lines.add("engine=" + ENGINE);
        lines.add("application=cv/object_detection");
        lines.add("translatorFactory=" + LetterboxTranslatorFactory.class.getName());
        lines.add("option.optLevel=ALL_OPT");
        settings.properties().forEach((name, value) -> lines.add(name + "=" + value));
        return String.join("\n", lines) + "\n";
    }

    private static void zip(Map<String, byte[]> entries, OutputStream out) throws IOException {
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            for (Map.Entry<String, byte[]> entry : entries.entrySet()) {
                ZipEntry zipEntry = new ZipEntry(entry.getKey());
                zipEntry.setLastModifiedTime(ENTRY_TIME);
                zip.putNextEntry(zipEntry);
                zip.write(entry.getValue());
                zip.closeEntry();
            }
        }
    }
}
