package io.github.yoloslim.cache;

import io.github.yoloslim.InvalidInputException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The output folder, checked before any work so that a bad one fails fast and leaves nothing half-written. */
public final class OutputDirectory {

    private OutputDirectory() {
    }

    /**
     * Creates {@code directory} if needed.
     *
     * @throws InvalidInputException when it is a file or cannot be written
     */
    public static Path prepare(Path directory) throws IOException {
        if (Files.exists(directory) && !Files.isDirectory(directory)) {
            throw new InvalidInputException("<outputDirectory> " + directory + " is a file, not a folder. Remove it or "
                    + "point <outputDirectory> (-Dyoloslim.outputDirectory) elsewhere.");
        }
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new InvalidInputException("<outputDirectory> " + directory + " cannot be created (" + e
                    + "). Point <outputDirectory> (-Dyoloslim.outputDirectory) at a writable folder.", e);
        }
        if (!Files.isWritable(directory)) {
            throw new InvalidInputException("<outputDirectory> " + directory + " is not writable. Point "
                    + "<outputDirectory> (-Dyoloslim.outputDirectory) at a writable folder.");
        }
        return directory;
    }
}
