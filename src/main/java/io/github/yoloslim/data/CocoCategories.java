package io.github.yoloslim.data;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The 80 COCO 2017 detection categories with their official ids (1 to 90, with gaps), in the order of an
 * 80-class model's outputs, so that class names (from model metadata or a data.yaml) can be mapped to the ids a
 * COCO annotation file uses.
 */
public final class CocoCategories {

    /** The 80 categories, in class-index order (index 0 is person, id 1). */
    public static final List<Category> ALL = List.of(
            new Category(1, "person"), new Category(2, "bicycle"), new Category(3, "car"),
            new Category(4, "motorcycle"), new Category(5, "airplane"), new Category(6, "bus"),
            new Category(7, "train"), new Category(8, "truck"), new Category(9, "boat"),
            new Category(10, "traffic light"), new Category(11, "fire hydrant"), new Category(13, "stop sign"),
            new Category(14, "parking meter"), new Category(15, "bench"), new Category(16, "bird"),
            new Category(17, "cat"), new Category(18, "dog"), new Category(19, "horse"), new Category(20, "sheep"),
            new Category(21, "cow"), new Category(22, "elephant"), new Category(23, "bear"),
            new Category(24, "zebra"), new Category(25, "giraffe"), new Category(27, "backpack"),
            new Category(28, "umbrella"), new Category(31, "handbag"), new Category(32, "tie"),
            new Category(33, "suitcase"), new Category(34, "frisbee"), new Category(35, "skis"),
            new Category(36, "snowboard"), new Category(37, "sports ball"), new Category(38, "kite"),
            new Category(39, "baseball bat"), new Category(40, "baseball glove"), new Category(41, "skateboard"),
            new Category(42, "surfboard"), new Category(43, "tennis racket"), new Category(44, "bottle"),
            new Category(46, "wine glass"), new Category(47, "cup"), new Category(48, "fork"),
            new Category(49, "knife"), new Category(50, "spoon"), new Category(51, "bowl"),
            new Category(52, "banana"), new Category(53, "apple"), new Category(54, "sandwich"),
            new Category(55, "orange"), new Category(56, "broccoli"), new Category(57, "carrot"),
            new Category(58, "hot dog"), new Category(59, "pizza"), new Category(60, "donut"),
            new Category(61, "cake"), new Category(62, "chair"), new Category(63, "couch"),
            new Category(64, "potted plant"), new Category(65, "bed"), new Category(67, "dining table"),
            new Category(70, "toilet"), new Category(72, "tv"), new Category(73, "laptop"),
            new Category(74, "mouse"), new Category(75, "remote"), new Category(76, "keyboard"),
            new Category(77, "cell phone"), new Category(78, "microwave"), new Category(79, "oven"),
            new Category(80, "toaster"), new Category(81, "sink"), new Category(82, "refrigerator"),
            new Category(84, "book"), new Category(85, "clock"), new Category(86, "vase"),
            new Category(87, "scissors"), new Category(88, "teddy bear"), new Category(89, "hair drier"),
            new Category(90, "toothbrush"));

    private static final Map<String, Integer> BY_KEY = new HashMap<>();

    static {
        for (Category category : ALL) {
            BY_KEY.put(key(category.name()), category.id());
        }
    }

    private CocoCategories() {
    }

    /**
     * The COCO id of a class name, ignoring case, spaces, underscores and hyphens ({@code "Potted_Plant"} and
     * {@code "pottedplant"} both give 64); empty when the name is not a COCO category.
     */
    public static OptionalInt idOf(String name) {
        Integer id = BY_KEY.get(key(name));
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    private static String key(String name) {
        return name.toLowerCase(Locale.ROOT).replaceAll("[\\s_\\-]+", "");
    }
}
