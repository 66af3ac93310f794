package io.github.yoloslim.eval;

import io.github.yoloslim.runtime.DetectorOutput;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Turns one image's raw YOLOv8 output into detections exactly as Ultralytics' {@code non_max_suppression}
 * does for validation: candidates whose best class score exceeds the threshold, one candidate per class above
 * the threshold (multi-label) or the best class only, at most 30 000 candidates by score, class-aware NMS,
 * then the highest {@code maxDetections}.
 *
 * <p>Ultralytics makes NMS class-aware by shifting boxes by {@code class × 7680} pixels in float32, which costs
 * precision for high class indices; here each class is suppressed only against its own boxes, which is what
 * the shift intends. Box arithmetic and IoU are float32, as in torchvision's CPU kernel.
 */
public final class YoloDecoder {

    /** Ultralytics' {@code max_nms}: candidates kept for NMS, by score. */
    static final int MAX_CANDIDATES = 30_000;

    private final DecodeSettings settings;
    private final int numClasses;
    private final float confidence;

    public YoloDecoder(DecodeSettings settings, int numClasses) {
        this.settings = settings;
        this.numClasses = numClasses;
        this.confidence = (float) settings.confidenceThreshold();
    }

    /** The detections of image {@code image} of the batch, highest score first. */
    public List<BoxCandidate> decode(DetectorOutput output, int image) {
        if (output.attributes() != numClasses + 4) {
            throw new IllegalArgumentException("output has " + output.attributes() + " values per box, expected "
                    + (numClasses + 4));
        }
        Candidates candidates = collect(output, image);
        long[] order = candidates.byScore();
        return suppress(output, image, order, Math.min(order.length, MAX_CANDIDATES));
    }

    /** Scans the scores in memory order: anchor by anchor, or class by class when the output is attributes-first. */
    private Candidates collect(DetectorOutput output, int image) {
        float[] data = output.data();
        int anchors = output.anchors();
        Candidates candidates = new Candidates(numClasses);
        if (output.attributeStride() == 1) {
            for (int anchor = 0; anchor < anchors; anchor++) {
                int scores = output.index(image, 4, anchor);
                if (settings.multiLabel()) {
                    for (int c = 0; c < numClasses; c++) {
                        if (data[scores + c] > confidence) {
                            candidates.add(anchor, c, data[scores + c]);
                        }
                    }
                } else {
                    int best = 0;
                    for (int c = 1; c < numClasses; c++) {
                        if (data[scores + c] > data[scores + best]) {
                            best = c;
                        }
                    }
                    if (data[scores + best] > confidence) {
                        candidates.add(anchor, best, data[scores + best]);
                    }
                }
            }
        } else if (settings.multiLabel()) {
            for (int c = 0; c < numClasses; c++) {
                int row = output.index(image, 4 + c, 0);
                for (int i = row; i < row + anchors; i++) {
                    if (data[i] > confidence) {
                        candidates.add(i - row, c, data[i]);
                    }
                }
            }
        } else {
            int first = output.index(image, 4, 0);
            float[] bestScore = Arrays.copyOfRange(data, first, first + anchors);
            int[] best = new int[anchors];
            for (int c = 1; c < numClasses; c++) {
                int row = output.index(image, 4 + c, 0);
                for (int anchor = 0; anchor < anchors; anchor++) {
                    float score = data[row + anchor];
                    if (score > bestScore[anchor]) {
                        bestScore[anchor] = score;
                        best[anchor] = c;
                    }
                }
            }
            for (int anchor = 0; anchor < anchors; anchor++) {
                if (bestScore[anchor] > confidence) {
                    candidates.add(anchor, best[anchor], bestScore[anchor]);
                }
            }
        }
        return candidates;
    }

    private List<BoxCandidate> suppress(DetectorOutput output, int image, long[] order, int count) {
        List<List<BoxCandidate>> keptByClass = new ArrayList<>(numClasses);
        for (int c = 0; c < numClasses; c++) {
            keptByClass.add(new ArrayList<>());
        }
        List<BoxCandidate> kept = new ArrayList<>();
        for (int k = 0; k < count && kept.size() < settings.maxDetections(); k++) {
            long key = order[k];
            int position = Candidates.position(key);
            BoxCandidate box = box(output, image, position / numClasses, position % numClasses,
                    Candidates.score(key));
            List<BoxCandidate> sameClass = keptByClass.get(box.classIndex());
            if (!overlapsAny(box, sameClass)) {
                sameClass.add(box);
                kept.add(box);
            }
        }
        return kept;
    }

    private boolean overlapsAny(BoxCandidate box, List<BoxCandidate> kept) {
        float area = (box.x2() - box.x1()) * (box.y2() - box.y1());
        for (BoxCandidate other : kept) {
            float w = Math.max(0f, Math.min(box.x2(), other.x2()) - Math.max(box.x1(), other.x1()));
            float h = Math.max(0f, Math.min(box.y2(), other.y2()) - Math.max(box.y1(), other.y1()));
            float intersection = w * h;
            float otherArea = (other.x2() - other.x1()) * (other.y2() - other.y1());
            float iou = intersection / (otherArea + area - intersection);
            if (iou > settings.iouThreshold()) {
                return true;
            }
        }
        return false;
    }

    private static BoxCandidate box(DetectorOutput output, int image, int anchor, int classIndex, float score) {
        float cx = output.value(image, 0, anchor);
        float cy = output.value(image, 1, anchor);
        float halfW = output.value(image, 2, anchor) / 2f;
        float halfH = output.value(image, 3, anchor) / 2f;
        return new BoxCandidate(cx - halfW, cy - halfH, cx + halfW, cy + halfH, score, classIndex);
    }

    /**
     * Candidates as sort keys: the score's bits inverted (positive floats' bits sort like their values) above
     * the candidate's position in anchor-then-class order, the order {@code torch.where} yields them in, so that
     * sorting the keys orders by descending score with ties in that order, whichever order they were found in.
     */
    private static final class Candidates {
        private final int numClasses;
        private long[] keys = new long[1024];
        private int size;

        Candidates(int numClasses) {
            this.numClasses = numClasses;
        }

        void add(int anchor, int classIndex, float score) {
            if (size == keys.length) {
                keys = Arrays.copyOf(keys, size * 2);
            }
            long position = (long) anchor * numClasses + classIndex;
            keys[size++] = ((0xFFFFFFFFL - Float.floatToRawIntBits(score)) << 32) | position;
        }

        long[] byScore() {
            long[] sorted = Arrays.copyOf(keys, size);
            Arrays.sort(sorted);
            return sorted;
        }

        static int position(long key) {
            return (int) key;
        }

        static float score(long key) {
            return Float.intBitsToFloat((int) (0xFFFFFFFFL - (key >>> 32)));
        }
    }
}
