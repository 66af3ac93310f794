package io.github.yoloslim.examples.djl;

import ai.djl.modality.cv.output.DetectedObjects;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The bus photo through the archive: the people in front of the bus and the bus itself, at the archive's threshold.
 * The float YOLOv8n calls the vehicle a bus (0.82); the pruned, distilled INT8 model of the quick example run calls
 * it a truck (0.48), so only its box is checked here.
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
        List<DetectedObjects.DetectedObject> vehicles = objects.stream()
                .filter(object -> object.getClassName().equals("bus") || object.getClassName().equals("truck"))
                .toList();
        assertEquals(1, vehicles.size(), "one vehicle");
        assertTrue(vehicles.get(0).getBoundingBox().getBounds().getWidth() > 0.8, "the bus spans the photo's width");
    }
}
