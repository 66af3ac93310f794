package io.github.yoloslim.eval;

import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.data.Category;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Maps a model's class indices to a dataset's category ids by name, so an 80-class COCO model scores
 * against COCO's ids 1..90. Names match ignoring case, and spaces, underscores and hyphens are treated alike.
 *
 * @param categoryIds the dataset category id of each model class, or -1 when the dataset has no such category
 * @param unmapped the model classes without a category, whose detections are dropped
 */
public record ClassMapping(int[] categoryIds, List<String> unmapped) {

    /** Builds the mapping; fails when no class at all matches, since the evaluation would then mean nothing. */
    public static ClassMapping byName(List<String> classNames, List<Category> categories, String modelDescription) {
        Map<String, Integer> idByName = new HashMap<>();
        for (Category category : categories) {
            idByName.putIfAbsent(key(category.name()), category.id());
        }
        int[] ids = new int[classNames.size()];
        List<String> unmapped = new ArrayList<>();
        for (int c = 0; c < classNames.size(); c++) {
            ids[c] = idByName.getOrDefault(key(classNames.get(c)), -1);
            if (ids[c] < 0) {
                unmapped.add(classNames.get(c));
            }
        }
        if (unmapped.size() == classNames.size()) {
            throw new InvalidInputException("none of the " + classNames.size() + " class names of " + modelDescription
                    + " (" + preview(classNames) + ") matches a dataset category (" + preview(
                            categories.stream().map(Category::name).toList())
                    + "). Set <classNames> to the model's class names as the dataset spells them, in class-index order.");
        }
        return new ClassMapping(ids, List.copyOf(unmapped));
    }

    /** The category id of model class {@code classIndex}, or -1. */
    public int categoryId(int classIndex) {
        return categoryIds[classIndex];
    }

    private static String key(String name) {
        return name.trim().toLowerCase(Locale.ROOT).replaceAll("[\\s_-]+", " ");
    }

    private static String preview(List<String> names) {
        return names.size() <= 5 ? String.join(", ", names)
                : String.join(", ", names.subList(0, 5)) + ", ... " + names.size() + " in all";
    }
}
