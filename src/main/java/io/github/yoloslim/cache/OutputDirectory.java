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

    /**
     * Checks, before any work, that the stage can write {@code files}: no folder stands at a file's path, and the
     * nearest existing folder above it is a writable folder. Otherwise a long run would end in a raw
     * {@code FileSystemException} after the work was done.
     *
     * @throws InvalidInputException naming the path and the fix
     */
    public static void requireWritable(Path... files) {
        for (Path file : files) {
            if (Files.isDirectory(file)) {
                throw new InvalidInputException(file + " is a folder, but yolo-slim writes a file there. Remove the "
                        + "folder (or run `mvn clean`), or point <outputDirectory> (-Dyoloslim.outputDirectory) "
                        + "elsewhere.");
            }
            Path folder = file.toAbsolutePath().getParent();
            while (folder != null && !Files.exists(folder)) {
                folder = folder.getParent();
            }
            if (folder != null && (!Files.isDirectory(folder) || !Files.isWritable(folder))) {
                throw new InvalidInputException(file + " cannot be written: " + folder + (Files.isDirectory(folder)
                        ? " is not writable. Make it writable (chmod u+w " + folder + ")" : " is a file. Remove it")
                        + " or run `mvn clean`, or point <outputDirectory> (-Dyoloslim.outputDirectory) elsewhere.");
            }
        }
    }
}
