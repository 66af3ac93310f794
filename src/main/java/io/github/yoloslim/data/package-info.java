/** Datasets (COCO and YOLO layouts), image decoding with EXIF orientation, and Ultralytics-exact letterboxing. */
package io.github.yoloslim.data;
