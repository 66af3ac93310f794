package io.github.yoloslim.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Detections as primitive columns in fixed-size pages: 44 bytes a detection (a record and its list slot take
 * about 68), nothing copied as it grows. Image and category ids are stored as indices into each chunk's own
 * dictionaries of the ids it has seen, so chunks can be filled in parallel and before the annotations that
 * say which ids are evaluated are read. The chunks, in order, are the input.
 */
final class DetectionTable {

    static final int PAGE_BITS = 12;
    static final int PAGE_SIZE = 1 << PAGE_BITS;
    /** x, y, width, height, score: one detection's doubles, side by side in a page. */
    static final int VALUES = 5;

    final List<Chunk> chunks;

    /** The chunks, each {@linkplain Chunk#finish() finished}, in input order. */
    DetectionTable(List<Chunk> chunks) {
        this.chunks = List.copyOf(chunks);
    }

    static DetectionTable of(List<Detection> detections) {
        Builder b = new Builder();
        for (Detection d : detections) {
            b.add(d.imageId(), d.categoryId(), d.x(), d.y(), d.width(), d.height(), d.score());
        }
        return new DetectionTable(b.finish());
    }

    /**
     * Fills chunks in input order, a new one every {@code CHUNK_LIMIT} detections, so that regrouping a
     * chunk needs little room beside it.
     */
    static final class Builder {
        static final int CHUNK_LIMIT = 1 << 18;

        private final List<Chunk> chunks = new ArrayList<>();
        private Chunk current = new Chunk();

        void add(long imageId, int categoryId, double x, double y, double width, double height, double score) {
            if (current.size() == CHUNK_LIMIT) {
                current.finish();
                chunks.add(current);
                current = new Chunk();
            }
            current.add(imageId, categoryId, x, y, width, height, score);
        }

        /** The chunks, all finished. */
        List<Chunk> finish() {
            current.finish();
            chunks.add(current);
            return chunks;
        }
    }

    /** A detection's position in input order, and its image id. */
    record OnImage(long position, long imageId) {
    }

    /** The first detection (in input order) whose image is not in {@code sortedImageIds}, if any. */
    Optional<OnImage> firstOffImages(long[] sortedImageIds) {
        long base = 0;
        for (Chunk c : chunks) {
            int first = -1;
            for (int j = 0; j < c.imageIds.size(); j++) {
                boolean listed = Arrays.binarySearch(sortedImageIds, c.imageIds.id(j)) >= 0;
                if (!listed && (first < 0 || c.imageIds.firstUse(j) < c.imageIds.firstUse(first))) {
                    first = j;
                }
            }
            if (first >= 0) {
                return Optional.of(new OnImage(base + c.imageIds.firstUse(first), c.imageIds.id(first)));
            }
            base += c.size();
        }
        return Optional.empty();
    }

    /**
     * A run of detections: filled in input order, then {@linkplain #finish() regrouped} by category (input
     * order kept within each), as evaluation takes them category by category.
     */
    static final class Chunk {
        final Dictionary imageIds = new Dictionary();
        final Dictionary categoryIds = new Dictionary();
        private List<double[]> values = new ArrayList<>();
        private List<int[]> images = new ArrayList<>();
        /** Each detection's category while the chunk fills; null once finished. */
        private List<int[]> categories = new ArrayList<>();
        /** Once finished: category dictionary index c's detections are positions [start[c], start[c + 1]). */
        private int[] categoryStart;
        /** Detections whose numbers do not sum to a finite value, in input order (evaluation refuses them). */
        final List<Detection> nonFinite = new ArrayList<>();
        private int size;

        void add(long imageId, int categoryId, double x, double y, double width, double height, double score) {
            int at = size & (PAGE_SIZE - 1);
            if (at == 0) {
                values.add(new double[PAGE_SIZE * VALUES]);
                images.add(new int[PAGE_SIZE]);
                categories.add(new int[PAGE_SIZE]);
            }
            int page = size >>> PAGE_BITS;
            double[] v = values.get(page);
            int o = at * VALUES;
            v[o] = x;
            v[o + 1] = y;
            v[o + 2] = width;
            v[o + 3] = height;
            v[o + 4] = score;
            images.get(page)[at] = imageIds.index(imageId, size);
            categories.get(page)[at] = categoryIds.index(categoryId, size);
            if (!Double.isFinite(x + y + width + height + score)) {
                nonFinite.add(new Detection(imageId, categoryId, x, y, width, height, score));
            }
            size++;
        }

        /** Regroups the detections by category, keeping input order within each, into new pages. */
        void finish() {
            int[] category = new int[size];
            for (int j = 0; j < size; j++) {
                category[j] = categories.get(j >>> PAGE_BITS)[j & (PAGE_SIZE - 1)];
            }
            int[] start = new int[categoryIds.size() + 1];
            for (int c : category) {
                start[c + 1]++;
            }
            for (int c = 0; c < categoryIds.size(); c++) {
                start[c + 1] += start[c];
            }
            int[] next = Arrays.copyOf(start, categoryIds.size());
            List<double[]> grouped = new ArrayList<>(values.size());
            List<int[]> groupedImages = new ArrayList<>(values.size());
            for (int p = 0; p < values.size(); p++) {
                grouped.add(new double[PAGE_SIZE * VALUES]);
                groupedImages.add(new int[PAGE_SIZE]);
            }
            for (int j = 0; j < size; j++) {
                int to = next[category[j]]++;
                System.arraycopy(values.get(j >>> PAGE_BITS), (j & (PAGE_SIZE - 1)) * VALUES,
                        grouped.get(to >>> PAGE_BITS), (to & (PAGE_SIZE - 1)) * VALUES, VALUES);
                groupedImages.get(to >>> PAGE_BITS)[to & (PAGE_SIZE - 1)] =
                        images.get(j >>> PAGE_BITS)[j & (PAGE_SIZE - 1)];
            }
            values = grouped;
            images = groupedImages;
            categories = null;
            categoryStart = start;
        }

        int size() {
            return size;
        }

        /** Once finished: the pages of x, y, width, height, score. */
        List<double[]> values() {
            return values;
        }

        /** Once finished: the pages of image dictionary indices. */
        List<int[]> images() {
            return images;
        }

        /** Once finished: where category dictionary index c's detections start ({@code c + 1}: end). */
        int categoryStart(int c) {
            return categoryStart[c];
        }
    }

    /**
     * The ids a chunk has seen, each with a dense index in order of first use and the position of that first
     * use. Lookups are cached for runs of one id (results files list an image's detections together).
     */
    static final class Dictionary {
        /** Ids in {@code [0, DIRECT)} are looked up in an array: category ids, small image ids. */
        private static final int DIRECT = 1 << 12;

        /** Index + 1 of each small id seen, 0 for none. */
        private int[] direct = new int[16];
        private final Map<Long, Integer> others = new HashMap<>();
        private long[] ids = new long[16];
        private int[] firstUse = new int[16];
        private int count;
        private long lastId;
        private int lastIndex = -1;

        int index(long id, int position) {
            if (id == lastId && lastIndex >= 0) {
                return lastIndex;
            }
            int index;
            if (id >= 0 && id < DIRECT) {
                int small = (int) id;
                if (small >= direct.length) {
                    direct = Arrays.copyOf(direct, Math.min(DIRECT, Math.max(small + 1, 2 * direct.length)));
                }
                index = direct[small] - 1;
                if (index < 0) {
                    index = add(id, position);
                    direct[small] = index + 1;
                }
            } else {
                Integer known = others.get(id);
                if (known == null) {
                    index = add(id, position);
                    others.put(id, index);
                } else {
                    index = known;
                }
            }
            lastId = id;
            lastIndex = index;
            return index;
        }

        private int add(long id, int position) {
            if (count == ids.length) {
                ids = Arrays.copyOf(ids, 2 * count);
                firstUse = Arrays.copyOf(firstUse, 2 * count);
            }
            ids[count] = id;
            firstUse[count] = position;
            return count++;
        }

        int size() {
            return count;
        }

        long id(int index) {
            return ids[index];
        }

        /** The position in the chunk where {@code id(index)} first occurs. */
        int firstUse(int index) {
            return firstUse[index];
        }

        /** For each id seen, its index in {@code sorted} (ascending), or -1 when it is not there. */
        int[] indicesIn(long[] sorted) {
            int[] map = new int[count];
            for (int j = 0; j < count; j++) {
                int found = Arrays.binarySearch(sorted, ids[j]);
                map[j] = found < 0 ? -1 : found;
            }
            return map;
        }
    }
}
