/** Evaluation and calibration datasets (COCO and YOLO layouts), image decoding, and letterboxing. */
package io.github.yoloslim.data;
