/** YOLOv8 output decoding, non-maximum suppression, and COCO box evaluation that matches pycocotools exactly. */
package io.github.yoloslim.eval;
