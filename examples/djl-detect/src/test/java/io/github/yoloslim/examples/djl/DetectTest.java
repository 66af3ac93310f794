package io.github.yoloslim.examples.djl;

import ai.djl.modality.cv.output.DetectedObjects;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The bus photo through the archive: the people in front of the bus at the archive's threshold, and the bus itself.
 * The float YOLOv8n calls the vehicle a bus (0.82); the quick example's pruned, distilled INT8 model is weaker, and
 * its distillation has not always given the same model (see the distill page): one has scored the vehicle as a
 * truck at 0.48, another as a bus at 0.20. So the vehicle is looked for with the threshold lowered through DJL's
 * model arguments, which also shows that an application can override the archive's settings.
 */
class DetectTest {

    @Test
    void findsTheBusAndThePeopleOnTheBusPhoto() throws Exception {
        Path image = Path.of(System.getProperty("sample.image"));
        assumeTrue(Files.isRegularFile(image), () -> "skipped: " + image + " is absent (it lives in ../shared)");
        DetectedObjects detections = Detect.detect(Path.of(System.getProperty("model.archive")), image);

        List<DetectedObjects.DetectedObject> objects = IntStream.range(0, detections.getNumberOfObjects())
                .mapToObj(i -> (DetectedObjects.DetectedObject) detections.item(i)).toList();
        System.out.println(detections);
        assertTrue(objects.stream().allMatch(object -> object.getProbability() >= 0.25), "the archive's threshold");
        long people = objects.stream().filter(object -> object.getClassName().equals("person")).count();
        assertTrue(people >= 3 && people <= 5, people + " persons; the photo shows four");

        DetectedObjects lowered = Detect.detect(Path.of(System.getProperty("model.archive")), image,
                Map.of("threshold", "0.1"));
        System.out.println(lowered);
        Optional<DetectedObjects.DetectedObject> vehicle = IntStream.range(0, lowered.getNumberOfObjects())
                .mapToObj(i -> (DetectedObjects.DetectedObject) lowered.item(i))
                .filter(object -> object.getClassName().equals("bus") || object.getClassName().equals("truck"))
                .max(Comparator.comparingDouble(DetectedObjects.DetectedObject::getProbability));
        assertTrue(vehicle.isPresent(), "a bus or truck above 0.1");
        assertTrue(vehicle.get().getBoundingBox().getBounds().getWidth() > 0.8, "the bus spans the photo's width");
        assertTrue(lowered.getNumberOfObjects() >= detections.getNumberOfObjects(), "a lower threshold keeps more");
    }
}
