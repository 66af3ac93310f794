package io.github.yoloslim.data;

import io.github.yoloslim.InvalidInputException;

import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Loads an evaluation {@link Dataset} from disk, in either layout:
 * <ul>
 * <li><b>COCO</b>: a folder of images plus an {@code instances_*.json}; by default the json is
 * {@code <images>/../annotations/instances_<images folder name>.json}, as COCO 2017 ships. The images are those
 * the json lists, in id order; files in the folder that it does not list are ignored (and counted).</li>
 * <li><b>YOLO</b>: {@code images/} and {@code labels/} (Ultralytics maps each {@code .../images/...} path to
 * {@code .../labels/...} with a {@code .txt} extension), one {@code class cx cy w h} line per box, normalised
 * to the displayed image size; class names from {@code data.yaml} or from the caller. Image ids are 1, 2, ... in
 * sorted path order and category ids are the class indices. An image without a label file has no objects.</li>
 * </ul>
 * User mistakes raise {@link InvalidInputException} naming the parameter ({@code <dataset>},
 * {@code <annotations>}), the file and the fix.
 */
public final class DatasetLoader {

    /** File extensions Ultralytics treats as images (IMG_FORMATS), lower case. */
    /** What {@link ImageDecoder} decodes (an MPO is a JPEG with more pictures after the first). */
    private static final Set<String> IMAGE_EXTENSIONS = Set.of("bmp", "jpeg", "jpg", "mpo", "png");
    private static final int LISTED_NAMES = 5;

    private DatasetLoader() {
    }

    /**
     * Loads a dataset in whichever layout {@code dataset} has (see {@link #detectFormat(Path)}); an explicit
     * {@code annotations} file means COCO.
     *
     * @param dataset the {@code <dataset>} parameter: a COCO images folder, a YOLO root or split folder, or a
     *        data.yaml
     * @param annotations the {@code <annotations>} parameter (COCO json), or null for the default location
     * @param classNames class names to use when a YOLO dataset has no data.yaml (e.g. the model's metadata), or
     *        null
     * @param maxImages keep only the first this many images by id; 0 or less keeps all
     */
    public static LoadedDataset load(Path dataset, Path annotations, List<String> classNames, int maxImages)
            throws IOException {
        if (annotations != null || detectFormat(dataset) == DatasetFormat.COCO) {
            return loadCoco(dataset, annotations, maxImages);
        }
        return loadYolo(dataset, classNames, maxImages);
    }

    /**
     * Loads the dataset a {@link DatasetSpec} describes: its configured layout, else as {@link #load(Path, Path,
     * List, int)} detects it.
     *
     * @param classNames class names for a YOLO dataset without a data.yaml, or null
     */
    public static LoadedDataset load(DatasetSpec spec, List<String> classNames) throws IOException {
        Path annotations = spec.annotations().orElse(null);
        if (spec.format().isEmpty()) {
            return load(spec.location(), annotations, classNames, spec.maxImages());
        }
        if (spec.format().get() == DatasetFormat.COCO) {
            return loadCoco(spec.location(), annotations, spec.maxImages());
        }
        if (annotations != null) {
            throw new InvalidInputException("<annotations>" + annotations + "</annotations> is a COCO setting but "
                    + "<datasetFormat> is yolo, whose boxes come from labels/*.txt. Remove one of the two.");
        }
        return loadYolo(spec.location(), classNames, spec.maxImages());
    }

    /**
     * YOLO for a data.yaml file, a folder with {@code images/} and {@code labels/}, or a folder below an
     * {@code images} folder whose {@code labels} counterpart exists; COCO otherwise.
     *
     * @throws InvalidInputException when {@code dataset} does not exist
     */
    public static DatasetFormat detectFormat(Path dataset) {
        requireExists(dataset);
        if (Files.isRegularFile(dataset)) {
            return isYaml(dataset) ? DatasetFormat.YOLO : DatasetFormat.COCO;
        }
        if (Files.isDirectory(dataset.resolve("images")) && Files.isDirectory(dataset.resolve("labels"))) {
            return DatasetFormat.YOLO;
        }
        Path labels = labelsCounterpart(dataset.toAbsolutePath().normalize());
        return labels != null && Files.isDirectory(labels) ? DatasetFormat.YOLO : DatasetFormat.COCO;
    }

    /**
     * Loads a COCO layout: {@code images} folder plus annotations json (null for
     * {@code <images>/../annotations/instances_<images folder name>.json}).
     */
    public static LoadedDataset loadCoco(Path images, Path annotations, int maxImages) throws IOException {
        requireExists(images);
        if (!Files.isDirectory(images)) {
            throw new InvalidInputException("<dataset> " + images + " is a file; for a COCO dataset point <dataset>"
                    + " at the images folder and <annotations> at the instances json");
        }
        Path json = annotations;
        if (json == null) {
            json = defaultAnnotations(images);
            if (!Files.isRegularFile(json)) {
                throw new InvalidInputException("no COCO annotations for images folder " + images + ": expected "
                        + json + " (COCO 2017 layout); set <annotations> to the instances json, or give a YOLO"
                        + " dataset (images/ and labels/ folders, or a data.yaml) as <dataset>");
            }
        } else if (!Files.isRegularFile(json)) {
            throw new InvalidInputException("<annotations> " + json + " does not exist or is not a file; set it to"
                    + " the COCO instances json (e.g. annotations/instances_val2017.json)");
        }
        return assembleCoco(images, json, CocoAnnotations.read(json), maxImages);
    }

    /** {@code <images>/../annotations/instances_<images folder name>.json}. */
    static Path defaultAnnotations(Path images) {
        Path folder = images.toAbsolutePath().normalize();
        Path parent = folder.getParent() == null ? folder : folder.getParent();
        return parent.resolve("annotations").resolve("instances_" + folder.getFileName() + ".json");
    }

    /** Builds the dataset from parsed annotations; separate from parsing so it can be tested on its own. */
    static LoadedDataset assembleCoco(Path images, Path json, CocoAnnotations coco, int maxImages)
            throws IOException {
        if (coco.images().isEmpty()) {
            throw new InvalidInputException("dataset " + images + " has no images: " + json + " lists none; set"
                    + " <annotations> to the instances json of this images folder");
        }
        List<CocoImage> sorted = coco.images().stream().sorted(Comparator.comparingLong(CocoImage::id)).toList();
        for (int i = 1; i < sorted.size(); i++) {
            if (sorted.get(i).id() == sorted.get(i - 1).id()) {
                throw new InvalidInputException(json + " lists image id " + sorted.get(i).id() + " twice ("
                        + sorted.get(i - 1).fileName() + ", " + sorted.get(i).fileName() + "); fix the file");
            }
        }
        List<CocoImage> selected = maxImages > 0 && maxImages < sorted.size() ? sorted.subList(0, maxImages) : sorted;

        List<DatasetImage> datasetImages = new ArrayList<>(selected.size());
        List<String> missing = new ArrayList<>();
        for (CocoImage image : selected) {
            Path file = images.resolve(image.fileName());
            if (!Files.isRegularFile(file)) {
                missing.add(image.fileName());
            }
            datasetImages.add(new DatasetImage(image.id(), file, image.width(), image.height()));
        }
        if (!missing.isEmpty()) {
            throw new InvalidInputException(json + " lists " + missing.size() + " image"
                    + (missing.size() == 1 ? "" : "s") + " missing from " + images + ": " + firstFew(missing)
                    + "; point <dataset> at the folder that holds them, or set <annotations> to the json that"
                    + " belongs to this folder");
        }

        Set<Long> ids = selected.stream().map(CocoImage::id).collect(Collectors.toSet());
        List<GroundTruthBox> boxes = coco.annotations().stream().filter(box -> ids.contains(box.imageId())).toList();
        if (coco.annotations().isEmpty()) {
            throw new InvalidInputException(json + " has no ground-truth boxes (no \"annotations\" array, or an "
                    + "empty one), so there is nothing to score detections against (mAP would be -1). Set "
                    + "<annotations> to an instances file with boxes, e.g. instances_val2017.json (the "
                    + "image_info_*.json files of COCO's test sets list images only).");
        }
        if (boxes.isEmpty()) {
            throw new InvalidInputException("none of the " + selected.size() + " images selected from " + json
                    + " has a ground-truth box (mAP would be -1); raise or remove <maxEvaluationImages>, or point "
                    + "<annotations> at the instances file of these images.");
        }
        List<Category> categories = coco.categories().stream().sorted(Comparator.comparingInt(Category::id)).toList();

        Set<Path> listed = new HashSet<>();
        for (CocoImage image : coco.images()) {
            listed.add(images.resolve(image.fileName()).normalize());
        }
        int ignored;
        try (Stream<Path> files = Files.list(images)) {
            ignored = (int) files.filter(DatasetLoader::isImageFile)
                    .filter(file -> !listed.contains(file.normalize())).count();
        }
        List<String> notes = ignored == 0 ? List.of()
                : List.of(ignored + " image file" + (ignored == 1 ? "" : "s") + " in " + images
                        + " not listed in " + json.getFileName() + " ignored");
        Dataset dataset = new Dataset(images + " with " + json, DatasetFormat.COCO, datasetImages, categories,
                boxes);
        return new LoadedDataset(dataset, sorted.size(), ignored, notes);
    }

    /**
     * Loads a YOLO layout from a data.yaml (its {@code val} split), a root with {@code images/} and
     * {@code labels/} (the images directly there, else the {@code val*} split, else the only split), or an images
     * split folder. Class names come from the data.yaml (given, or {@code data.yaml} in the root), else from
     * {@code classNames}.
     */
    public static LoadedDataset loadYolo(Path dataset, List<String> classNames, int maxImages) throws IOException {
        requireExists(dataset);
        boolean isFile = Files.isRegularFile(dataset);
        boolean isRoot = !isFile && Files.isDirectory(dataset.resolve("images"));
        if (isFile && !isYaml(dataset)) {
            throw new InvalidInputException("<dataset> " + dataset + " is a file but not a data.yaml; point"
                    + " <dataset> at a data.yaml, a YOLO dataset folder or a COCO images folder");
        }
        Path root = isFile || isRoot ? null : yoloRoot(dataset);
        Path yaml = isFile ? dataset
                : existingFile((root == null ? dataset : root).resolve("data.yaml"));
        Map<?, ?> yamlContent = yaml == null ? null : readYaml(yaml);
        List<Path> imageFolders = isFile ? valFolders(yaml, yamlContent)
                : List.of(isRoot ? splitFolder(dataset.resolve("images")) : dataset);
        Map<Integer, String> names = yaml == null ? null : classNames(yaml, yamlContent);
        if (names == null) {
            if (classNames == null || classNames.isEmpty()) {
                throw new InvalidInputException("YOLO dataset " + dataset + " has no class names: add a data.yaml"
                        + " with 'names:' to the dataset root (next to images/ and labels/), or give the model's"
                        + " class names");
            }
            names = new TreeMap<>();
            for (int i = 0; i < classNames.size(); i++) {
                names.put(i, classNames.get(i));
            }
        }

        List<Path> files = new ArrayList<>();
        for (Path folder : imageFolders) {
            try (Stream<Path> walk = Files.walk(folder)) {
                walk.filter(Files::isRegularFile).filter(DatasetLoader::isImageFile).forEach(files::add);
            }
        }
        // Sorted as Ultralytics sorts im_files (string order), so ids do not depend on the file system.
        List<Path> sorted = files.stream().distinct().sorted(Comparator.comparing(Path::toString)).toList();
        if (sorted.isEmpty()) {
            throw new InvalidInputException("dataset " + dataset + " has no images: no ." + String.join("/.",
                    new TreeSet<>(IMAGE_EXTENSIONS)) + " files under " + imageFolders.stream()
                            .map(Path::toString).collect(Collectors.joining(", "))
                    + "; point <dataset> at the folder that holds the images");
        }
        List<Path> selected = maxImages > 0 && maxImages < sorted.size() ? sorted.subList(0, maxImages) : sorted;

        List<DatasetImage> images = new ArrayList<>(selected.size());
        List<GroundTruthBox> boxes = new ArrayList<>();
        int unlabeled = 0;
        int unreadable = 0;
        List<String> duplicates = new ArrayList<>();
        for (int i = 0; i < selected.size(); i++) {
            Path file = selected.get(i);
            long id = i + 1L;
            ImageSize size;
            try {
                size = ImageDecoder.readSize(file);
            } catch (UnreadableImageException e) {
                // Kept without boxes (they are normalised to a size nobody can read): decoding it fails again, and
                // <onUnreadableImage> skips it or fails, as for a COCO dataset.
                images.add(new DatasetImage(id, file, 0, 0));
                unreadable++;
                continue;
            }
            images.add(new DatasetImage(id, file, size.width(), size.height()));
            Path label = labelFile(file);
            if (!Files.isRegularFile(label)) {
                unlabeled++;
                continue;
            }
            parseLabels(label, id, size, names, boxes, duplicates);
        }

        if (boxes.isEmpty()) {
            throw new InvalidInputException("YOLO dataset " + dataset + " has no ground-truth boxes: none of its "
                    + selected.size() + " images has a label line in " + labelFile(selected.get(0)).getParent()
                    + " (mAP would be -1). Point <dataset> at a dataset with labels/*.txt next to images/.");
        }
        List<Category> categories = names.entrySet().stream()
                .map(entry -> new Category(entry.getKey(), entry.getValue())).toList();
        List<String> notes = new ArrayList<>();
        if (unlabeled > 0) {
            notes.add(unlabeled + " image" + (unlabeled == 1 ? " has" : "s have")
                    + " no label file: no objects, as in Ultralytics");
        }
        if (unreadable > 0) {
            notes.add(unreadable + " image" + (unreadable == 1 ? "" : "s") + " could not be read and "
                    + (unreadable == 1 ? "is" : "are") + " left to <onUnreadableImage>");
        }
        if (!duplicates.isEmpty()) {
            notes.add(duplicates.size() + " duplicate label line" + (duplicates.size() == 1 ? "" : "s")
                    + " removed, as Ultralytics does: " + firstFew(duplicates));
        }
        String description = dataset + (yaml != null && !yaml.equals(dataset) ? " with " + yaml.getFileName() : "");
        return new LoadedDataset(new Dataset(description, DatasetFormat.YOLO, images, categories, boxes),
                sorted.size(), 0, notes);
    }

    /**
     * Ultralytics img2label_paths: the last {@code images} folder in the path becomes {@code labels} and the
     * extension {@code .txt}; without an {@code images} folder the label sits next to the image.
     */
    static Path labelFile(Path image) {
        Path absolute = image.toAbsolutePath().normalize();
        Path labels = labelsCounterpart(absolute.getParent());
        String name = absolute.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String txt = (dot < 0 ? name : name.substring(0, dot)) + ".txt";
        return labels == null ? absolute.resolveSibling(txt) : labels.resolve(txt);
    }

    /** The folder with its last {@code images} component replaced by {@code labels}, or null. */
    private static Path labelsCounterpart(Path folder) {
        Path images = imagesAncestor(folder);
        return images == null ? null : images.resolveSibling("labels").resolve(images.relativize(folder));
    }

    /** The dataset root above an images split folder: the parent of its last {@code images} component. */
    private static Path yoloRoot(Path folder) {
        Path images = imagesAncestor(folder.toAbsolutePath().normalize());
        return images == null ? null : images.getParent();
    }

    /** The nearest folder named {@code images} at or above {@code folder}, as Ultralytics' last "/images/". */
    private static Path imagesAncestor(Path folder) {
        for (Path p = folder; p != null; p = p.getParent()) {
            if (p.getFileName() != null && p.getFileName().toString().equals("images")) {
                return p;
            }
        }
        return null;
    }

    /** Images directly in {@code images/}, else its {@code val*} split, else its only split. */
    private static Path splitFolder(Path imagesFolder) throws IOException {
        List<Path> splits;
        boolean direct;
        try (Stream<Path> children = Files.list(imagesFolder)) {
            List<Path> all = children.sorted().toList();
            direct = all.stream().anyMatch(p -> Files.isRegularFile(p) && isImageFile(p));
            splits = all.stream().filter(Files::isDirectory).toList();
        }
        if (direct || splits.isEmpty()) {
            return imagesFolder;
        }
        List<Path> val = splits.stream()
                .filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).startsWith("val")).toList();
        if (val.size() == 1) {
            return val.get(0);
        }
        if (splits.size() == 1) {
            return splits.get(0);
        }
        throw new InvalidInputException("YOLO dataset " + imagesFolder.getParent() + " has several splits ("
                + splits.stream().map(p -> p.getFileName().toString()).collect(Collectors.joining(", "))
                + ") and none is the one validation split; point <dataset> at images/<split> or at a data.yaml"
                + " whose 'val' names it");
    }

    private static void parseLabels(Path label, long imageId, ImageSize size, Map<Integer, String> names,
            List<GroundTruthBox> boxes, List<String> duplicates) throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(label, StandardCharsets.UTF_8);
        } catch (MalformedInputException e) {
            throw new InvalidInputException("label file " + label + " is not UTF-8 text; it should hold lines of"
                    + " 'class cx cy w h'", e);
        }
        Set<List<Float>> seen = new LinkedHashSet<>();
        for (int n = 0; n < lines.size(); n++) {
            String line = lines.get(n).strip();
            if (line.isEmpty()) {
                continue;
            }
            String where = label + ":" + (n + 1);
            String[] fields = line.split("\\s+");
            // 5 fields: a box; 7 or more with an even number of coordinates: a polygon, boxed as Ultralytics does.
            if (fields.length != 5 && (fields.length < 7 || fields.length % 2 == 0)) {
                throw new InvalidInputException(where + ": expected 'class cx cy w h' (5 numbers) or a polygon"
                        + " 'class x1 y1 x2 y2 x3 y3 ...', got " + fields.length + " fields: '" + line
                        + "'; fix the line");
            }
            float[] values = new float[fields.length];
            for (int i = 0; i < fields.length; i++) {
                try {
                    values[i] = Float.parseFloat(fields[i]);
                } catch (NumberFormatException e) {
                    throw new InvalidInputException(where + ": '" + fields[i] + "' is not a number; fix the line");
                }
                if (i > 0 && !(values[i] >= 0 && values[i] <= 1)) {
                    throw new InvalidInputException(where + ": coordinate '" + fields[i] + "' is out of range"
                            + " (coordinates are normalised to 0..1); fix the line");
                }
            }
            int cls = (int) values[0];
            if (cls != values[0] || !names.containsKey(cls)) {
                throw new InvalidInputException(where + ": class '" + fields[0] + "' is not one of the "
                        + names.size() + " class indices (0.." + (names.size() - 1) + "); fix the line or the"
                        + " class names");
            }
            List<Float> key = new ArrayList<>(values.length);
            for (float v : values) {
                key.add(v);
            }
            if (!seen.add(key)) {
                duplicates.add(label.getFileName() + ":" + (n + 1));
                continue;
            }
            double cx;
            double cy;
            double w;
            double h;
            if (fields.length == 5) {
                cx = values[1];
                cy = values[2];
                w = values[3];
                h = values[4];
            } else {
                double minX = 1;
                double minY = 1;
                double maxX = 0;
                double maxY = 0;
                for (int i = 1; i < values.length; i += 2) {
                    minX = Math.min(minX, values[i]);
                    maxX = Math.max(maxX, values[i]);
                    minY = Math.min(minY, values[i + 1]);
                    maxY = Math.max(maxY, values[i + 1]);
                }
                cx = (minX + maxX) / 2;
                cy = (minY + maxY) / 2;
                w = maxX - minX;
                h = maxY - minY;
            }
            double width = w * size.width();
            double height = h * size.height();
            boxes.add(new GroundTruthBox(boxes.size() + 1L, imageId, cls, (cx - w / 2) * size.width(),
                    (cy - h / 2) * size.height(), width, height, width * height, false));
        }
    }

    private static Map<?, ?> readYaml(Path yaml) throws IOException {
        try (var reader = Files.newBufferedReader(yaml, StandardCharsets.UTF_8)) {
            Object root = new Yaml(new SafeConstructor(new LoaderOptions())).load(reader);
            if (!(root instanceof Map<?, ?> map)) {
                throw new InvalidInputException(yaml + " is not a YAML mapping; a data.yaml has keys such as"
                        + " 'path', 'val' and 'names'");
            }
            return map;
        } catch (YAMLException e) {
            throw new InvalidInputException(yaml + " is not valid YAML: " + e.getMessage(), e);
        }
    }

    /** The {@code val} entry resolved against {@code path} (itself relative to the yaml's folder). */
    private static List<Path> valFolders(Path yaml, Map<?, ?> map) {
        Path base = yaml.toAbsolutePath().getParent();
        if (map.get("path") instanceof String path) {
            base = base.resolve(path);
        }
        Object val = map.get("val");
        List<?> entries = val instanceof List<?> list ? list : val == null ? List.of() : List.of(val);
        if (entries.isEmpty()) {
            throw new InvalidInputException(yaml + " has no 'val' entry; add 'val: images/val' (relative to"
                    + " 'path'), or point <dataset> at the images folder");
        }
        List<Path> folders = new ArrayList<>();
        for (Object entry : entries) {
            Path folder = base.resolve(String.valueOf(entry)).normalize();
            if (!Files.isDirectory(folder)) {
                throw new InvalidInputException(yaml + ": 'val' entry '" + entry + "' is not a folder (" + folder
                        + "); image list files are not supported, point 'val' at the images folder");
            }
            folders.add(folder);
        }
        return folders;
    }

    /** {@code names} as a list or an {index: name} map; {@code nc} alone gives class0, class1, ... */
    private static Map<Integer, String> classNames(Path yaml, Map<?, ?> map) {
        Map<Integer, String> names = new TreeMap<>();
        Object value = map.get("names");
        if (value instanceof List<?> list) {
            for (int i = 0; i < list.size(); i++) {
                names.put(i, String.valueOf(list.get(i)));
            }
        } else if (value instanceof Map<?, ?> indexed) {
            for (Map.Entry<?, ?> entry : indexed.entrySet()) {
                try {
                    names.put(Integer.parseInt(String.valueOf(entry.getKey()).strip()),
                            String.valueOf(entry.getValue()));
                } catch (NumberFormatException e) {
                    throw new InvalidInputException(yaml + ": 'names' key '" + entry.getKey() + "' is not a class"
                            + " index; write names as a list or as {0: person, 1: bicycle, ...}");
                }
            }
        } else if (map.get("nc") instanceof Integer count) {
            for (int i = 0; i < count; i++) {
                names.put(i, "class" + i);
            }
        } else {
            return null;
        }
        return names;
    }

    private static void requireExists(Path dataset) {
        if (dataset == null) {
            throw new InvalidInputException("<dataset> is not set; point it at a COCO images folder, a YOLO"
                    + " dataset folder (images/ and labels/) or a data.yaml");
        }
        if (!Files.exists(dataset)) {
            throw new InvalidInputException("<dataset> " + dataset.toAbsolutePath() + " does not exist; point"
                    + " <dataset> at a COCO images folder, a YOLO dataset folder (images/ and labels/) or a"
                    + " data.yaml");
        }
    }

    private static Path existingFile(Path file) {
        return Files.isRegularFile(file) ? file : null;
    }

    private static boolean isYaml(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.endsWith(".yaml") || name.endsWith(".yml");
    }

    /** Whether a file name has an extension Ultralytics reads as an image. */
    public static boolean isImageFile(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot >= 0 && IMAGE_EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    private static String firstFew(List<String> items) {
        String shown = items.stream().limit(LISTED_NAMES).collect(Collectors.joining(", "));
        return items.size() > LISTED_NAMES ? shown + " and " + (items.size() - LISTED_NAMES) + " more" : shown;
    }
}
