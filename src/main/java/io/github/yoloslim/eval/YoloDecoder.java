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
        int[] order = candidates.orderByScore();
        int count = Math.min(order.length, MAX_CANDIDATES);
        return suppress(output, image, candidates, order, count);
    }

    private Candidates collect(DetectorOutput output, int image) {
        float[] data = output.data();
        int stride = output.attributeStride();
        Candidates candidates = new Candidates();
        for (int anchor = 0; anchor < output.anchors(); anchor++) {
            int scores = output.index(image, 4, anchor);
            if (settings.multiLabel()) {
                for (int c = 0, i = scores; c < numClasses; c++, i += stride) {
                    if (data[i] > confidence) {
                        candidates.add(anchor, c, data[i]);
                    }
                }
            } else {
                int best = 0;
                float bestScore = data[scores];
                for (int c = 1, i = scores + stride; c < numClasses; c++, i += stride) {
                    if (data[i] > bestScore) {
                        best = c;
                        bestScore = data[i];
                    }
                }
                if (bestScore > confidence) {
                    candidates.add(anchor, best, bestScore);
                }
            }
        }
        return candidates;
    }

    private List<BoxCandidate> suppress(DetectorOutput output, int image, Candidates candidates, int[] order,
            int count) {
        List<List<BoxCandidate>> keptByClass = new ArrayList<>(numClasses);
        for (int c = 0; c < numClasses; c++) {
            keptByClass.add(new ArrayList<>());
        }
        List<BoxCandidate> kept = new ArrayList<>();
        for (int k = 0; k < count && kept.size() < settings.maxDetections(); k++) {
            int i = order[k];
            BoxCandidate box = box(output, image, candidates.anchor[i], candidates.classIndex[i], candidates.score[i]);
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

    /** Candidates as parallel primitive arrays, in anchor-then-class order as {@code torch.where} yields them. */
    private static final class Candidates {
        int size;
        int[] anchor = new int[1024];
        int[] classIndex = new int[1024];
        float[] score = new float[1024];

        void add(int a, int c, float s) {
            if (size == anchor.length) {
                anchor = Arrays.copyOf(anchor, size * 2);
                classIndex = Arrays.copyOf(classIndex, size * 2);
                score = Arrays.copyOf(score, size * 2);
            }
            anchor[size] = a;
            classIndex[size] = c;
            score[size] = s;
            size++;
        }

        /** Indices by descending score; ties keep candidate order. */
        int[] orderByScore() {
            long[] keys = new long[size];
            for (int i = 0; i < size; i++) {
                // Scores are positive floats, whose bit patterns sort like their values; invert for descending.
                long descending = 0xFFFFFFFFL - Float.floatToRawIntBits(score[i]);
                keys[i] = (descending << 32) | i;
            }
            Arrays.sort(keys);
            int[] order = new int[size];
            for (int i = 0; i < size; i++) {
                order[i] = (int) keys[i];
            }
            return order;
        }
    }
}
