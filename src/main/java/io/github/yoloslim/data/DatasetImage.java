package io.github.yoloslim.data;

import java.nio.file.Path;

/** One image of an evaluation dataset: its id in the ground truth, its file, and its displayed size. */
public record DatasetImage(long id, Path file, int width, int height) {
}
