package io.github.yoloslim.data;

/** A dataset category: its id as the annotations use it and its name. */
public record Category(int id, String name) {
}
