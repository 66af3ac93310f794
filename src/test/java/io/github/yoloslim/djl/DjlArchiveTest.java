package io.github.yoloslim.djl;

import ai.djl.inference.Predictor;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.modality.cv.output.DetectedObjects;
import ai.djl.modality.cv.output.Rectangle;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.DeferredTranslatorFactory;
import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.cache.PipelineRecord;
import io.github.yoloslim.cache.PipelineStage;
import io.github.yoloslim.eval.DecodeSettings;
import io.github.yoloslim.onnx.ModelOverrides;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.progress.ProgressListener;
import io.github.yoloslim.testing.TinyDetectors;
import io.github.yoloslim.testing.TinyDetectors.Box;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.io.StringReader;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import javax.imageio.ImageIO;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class DjlArchiveTest {

    private static final DecodeSettings DEPLOYMENT = new DecodeSettings(0.25, 0.7, 300, false);

    @TempDir
    Path dir;

    private Path model;
    private Path out;

    @BeforeAll
    static void djlOffline(@TempDir Path cache) {
        DjlTesting.prepare(cache);
    }

    @BeforeEach
    void detector() throws IOException {
        model = dir.resolve("tiny.onnx");
        // In the 64x64 input: x 16..48, y 24..40 as "car" 0.9, and a "person" 0.1 below the threshold.
        OnnxModel.of(TinyDetectors.constant(64, 1, List.of("person", "car"), 84,
                List.of(new Box(32, 32, 32, 16, 1, 0.9f), new Box(10, 10, 4, 4, 0, 0.1f)))).save(model);
        out = dir.resolve("yolo-slim");
    }

    private DjlArchiveRequest request(DecodeSettings decode) {
        return new DjlArchiveRequest(model, Optional.empty(), decode, ModelOverrides.NONE, out);
    }

    @Test
    void theArchiveHoldsTheModelSynsetServingPropertiesAndTheTranslator() throws IOException {
        DjlArchiveResult result = new DjlArchive(ProgressListener.silent()).run(request(DEPLOYMENT));

        assertThat(result.outcome()).isEqualTo(DjlArchiveResult.Outcome.WRITTEN);
        assertThat(result.archive()).hasFileName("tiny-djl.zip");
        assertThat(result.applicationClasspath()).extracting(coordinates -> coordinates.replaceAll(":[^:]+$", ""))
                .contains("com.drewnoakes:metadata-extractor", "com.twelvemonkeys.imageio:imageio-jpeg");
        Map<String, byte[]> entries = entries(result.archive());
        assertThat(entries.get(DjlArchive.MODEL_ENTRY)).isEqualTo(Files.readAllBytes(model));
        assertThat(new String(entries.get("synset.txt"), StandardCharsets.UTF_8)).isEqualTo("person\ncar\n");
        Properties serving = new Properties();
        serving.load(new StringReader(new String(entries.get("serving.properties"), StandardCharsets.ISO_8859_1)));
        assertThat(serving).containsEntry("engine", "OnnxRuntime")
                .containsEntry("translatorFactory", LetterboxTranslatorFactory.class.getName())
                .containsEntry("width", "64").containsEntry("height", "64")
                .containsEntry("outputLayout", "ATTRIBUTES_FIRST").containsEntry("threshold", "0.25")
                .containsEntry("nmsThreshold", "0.7").containsEntry("maxDetections", "300")
                .containsEntry("multiLabel", "false");
        assertThat(entries).containsKeys("io/github/yoloslim/djl/LetterboxTranslatorFactory.class",
                "io/github/yoloslim/djl/LetterboxTranslator.class", "io/github/yoloslim/data/Letterbox.class",
                "io/github/yoloslim/eval/YoloDecoder.class", "io/github/yoloslim/data/ImageDecoder.class");
        assertThat(entries.keySet()).noneMatch(name -> name.contains("/mojo/") || name.contains("/train/")
                || name.contains("/cache/"));
        assertThat(PipelineRecord.read(out).entry(PipelineStage.DJL_ARCHIVE)).isPresent();
    }

    @Test
    void aRerunIsUpToDateAndARewriteGivesTheSameBytes() throws IOException {
        DjlArchive archive = new DjlArchive(ProgressListener.silent());
        Path file = archive.run(request(DEPLOYMENT)).archive();
        byte[] first = Files.readAllBytes(file);

        assertThat(archive.run(request(DEPLOYMENT)).outcome()).isEqualTo(DjlArchiveResult.Outcome.UP_TO_DATE);
        Files.delete(file);
        assertThat(archive.run(request(DEPLOYMENT)).outcome()).isEqualTo(DjlArchiveResult.Outcome.WRITTEN);
        assertThat(Files.readAllBytes(file)).isEqualTo(first);
        assertThat(archive.run(request(new DecodeSettings(0.5, 0.7, 300, false))).outcome())
                .isEqualTo(DjlArchiveResult.Outcome.WRITTEN);
    }

    @Test
    void djlLoadsTheArchiveAndDetectsInOriginalImageFractionsFromAFileOrAnImage() throws Exception {
        Path archive = new DjlArchive(ProgressListener.silent()).run(request(DEPLOYMENT)).archive();
        // 128x64: scaled by 0.5 to 64x32 and padded 16 above, so input y 24..40 is image y 16..48.
        Path picture = dir.resolve("wide.png");
        ImageIO.write(new BufferedImage(128, 64, BufferedImage.TYPE_3BYTE_BGR), "png", picture.toFile());

        DetectedObjects fromFile = detect(archive, Path.class, picture);
        DetectedObjects fromImage = detect(archive, Image.class, ImageFactory.getInstance().fromFile(picture));

        for (DetectedObjects detections : List.of(fromFile, fromImage)) {
            assertThat(detections.getNumberOfObjects()).isEqualTo(1);
            DetectedObjects.DetectedObject car = detections.item(0);
            assertThat(car.getClassName()).isEqualTo("car");
            assertThat(car.getProbability()).isCloseTo(0.9, within(1e-6));
            Rectangle box = car.getBoundingBox().getBounds();
            assertThat(new double[] {box.getX(), box.getY(), box.getWidth(), box.getHeight()})
                    .containsExactly(new double[] {0.25, 0.25, 0.5, 0.5}, within(1e-6));
        }
    }

    @Test
    void aModelArgumentOverridesServingProperties() throws Exception {
        Path archive = new DjlArchive(ProgressListener.silent()).run(request(DEPLOYMENT)).archive();
        Path picture = dir.resolve("square.png");
        ImageIO.write(new BufferedImage(64, 64, BufferedImage.TYPE_3BYTE_BGR), "png", picture.toFile());

        Criteria<Path, DetectedObjects> criteria = Criteria.builder().setTypes(Path.class, DetectedObjects.class)
                .optModelPath(archive).optTranslatorFactory(new DeferredTranslatorFactory())
                .optArgument("threshold", "0.05").build();
        try (ZooModel<Path, DetectedObjects> loaded = criteria.loadModel();
                Predictor<Path, DetectedObjects> predictor = loaded.newPredictor()) {
            assertThat(predictor.predict(picture).getClassNames()).containsExactly("car", "person");
        }
    }

    @Test
    void everyClassOfTheArchiveLinksWithOnlyDjlsApiAndTheListedLibrariesBesideIt() throws Exception {
        Path archive = new DjlArchive(ProgressListener.silent()).run(request(DEPLOYMENT)).archive();
        List<URL> urls = new ArrayList<>(List.of(archive.toUri().toURL()));
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            String name = Path.of(entry).getFileName().toString();
            if (name.matches("(api|gson|slf4j-api|metadata-extractor|xmpcore)-[0-9].*\\.jar")
                    || entry.contains("twelvemonkeys")) {
                urls.add(Path.of(entry).toUri().toURL());
            }
        }
        List<String> classes = entries(archive).keySet().stream().filter(name -> name.endsWith(".class"))
                .map(name -> name.substring(0, name.length() - ".class".length()).replace('/', '.')).toList();
        try (URLClassLoader application = new URLClassLoader(urls.toArray(URL[]::new),
                ClassLoader.getPlatformClassLoader())) {
            for (String name : classes) {
                assertThat(Class.forName(name, true, application).getClassLoader()).isSameAs(application);
            }
            Object factory = Class.forName(LetterboxTranslatorFactory.class.getName(), true, application)
                    .getConstructor().newInstance();
            assertThat(factory.getClass().getInterfaces()).extracting(Class::getName)
                    .containsExactly("ai.djl.translate.TranslatorFactory");
        }
    }

    @Test
    void outOfRangeDecodingIsRefusedNamingTheElement() {
        assertThatThrownBy(() -> request(new DecodeSettings(1.5, 0.7, 300, false)))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("<djlConfidenceThreshold>1.5");
        assertThatThrownBy(() -> request(new DecodeSettings(0.25, 0, 300, false)))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("<djlIouThreshold>0.0");
        assertThatThrownBy(() -> request(new DecodeSettings(0.25, 0.7, 0, false)))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("<djlMaxDetections>0");
    }

    private static <I> DetectedObjects detect(Path archive, Class<I> type, I input) throws Exception {
        Criteria<I, DetectedObjects> criteria = Criteria.builder().setTypes(type, DetectedObjects.class)
                .optModelPath(archive).optTranslatorFactory(new DeferredTranslatorFactory()).build();
        try (ZooModel<I, DetectedObjects> loaded = criteria.loadModel();
                Predictor<I, DetectedObjects> predictor = loaded.newPredictor()) {
            return predictor.predict(input);
        }
    }

    static Map<String, byte[]> entries(Path zip) throws IOException {
        Map<String, byte[]> entries = new TreeMap<>();
        try (ZipFile file = new ZipFile(zip.toFile())) {
            for (ZipEntry entry : Collections.list(file.entries())) {
                entries.put(entry.getName(), file.getInputStream(entry).readAllBytes());
            }
        }
        return entries;
    }
}
