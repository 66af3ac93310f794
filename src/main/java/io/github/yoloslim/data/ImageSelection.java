package io.github.yoloslim.data;

import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.cache.Sha256;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A deterministic choice of images from a folder (a plain folder, a COCO images folder or a YOLO dataset
 * root): every image file below it in sorted path order, thinned evenly to at most {@code maxImages} so that a
 * sample spans the whole set rather than its first files.
 *
 * @param images the chosen images, in sorted path order
 * @param available how many images the folder has
 */
public record ImageSelection(List<Path> images, int available) {

    public ImageSelection {
        images = List.copyOf(images);
    }

    /** The hash of the chosen images' names (relative to {@code folder}) and bytes, for up-to-date checks. */
    public String contentHash(Path folder) throws IOException {
        Sha256 hash = Sha256.builder();
        for (Path image : images) {
            hash.add("image", folder.relativize(image).toString().replace('\\', '/'));
            hash.addFile(image);
        }
        return hash.hex();
    }

    /**
     * Selects images below {@code folder}.
     *
     * @param element the setting the folder came from, for messages (e.g. {@code calibrationImages})
     * @param maxImages at most this many images; 0 takes all
     */
    public static ImageSelection from(Path folder, String element, int maxImages) throws IOException {
        if (maxImages < 0) {
            throw new InvalidInputException("<maxImages>" + maxImages + "</maxImages> is out of range: use 0 for all "
                    + "images or a positive count.");
        }
        if (!Files.isDirectory(folder)) {
            throw new InvalidInputException("<" + element + "> " + folder + (Files.exists(folder)
                    ? " is not a folder" : " does not exist") + ". Point <" + element
                    + "> at a folder of images (a COCO images folder or a YOLO dataset root will do).");
        }
        List<Path> all;
        try (Stream<Path> walk = Files.walk(folder)) {
            all = walk.filter(Files::isRegularFile).filter(DatasetLoader::isImageFile)
                    .sorted(Comparator.comparing(path -> folder.relativize(path).toString())).toList();
        }
        if (all.isEmpty()) {
            throw new InvalidInputException("<" + element + "> " + folder + " has no images (.jpg, .png, ...). Point <"
                    + element + "> at a folder of representative images.");
        }
        if (maxImages == 0 || all.size() <= maxImages) {
            return new ImageSelection(all, all.size());
        }
        List<Path> chosen = new ArrayList<>(maxImages);
        for (int i = 0; i < maxImages; i++) {
            chosen.add(all.get((int) ((long) i * all.size() / maxImages)));
        }
        return new ImageSelection(chosen, all.size());
    }
}
