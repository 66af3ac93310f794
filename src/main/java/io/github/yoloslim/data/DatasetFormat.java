package io.github.yoloslim.data;

/** How a dataset is laid out on disk. */
public enum DatasetFormat {
    /** An images folder plus a COCO {@code instances_*.json}. */
    COCO,
    /** {@code images/} and {@code labels/*.txt} with normalised {@code class cx cy w h}, as Ultralytics trains. */
    YOLO
}
