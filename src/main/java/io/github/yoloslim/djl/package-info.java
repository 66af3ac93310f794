/**
 * The model an application loads with DJL: {@code djl-archive} writes {@code <name>-djl.zip} (the ONNX model, its
 * class names as DJL's synset, {@code serving.properties}) with {@link io.github.yoloslim.djl.LetterboxTranslatorFactory}
 * inside, a translator that letterboxes and decodes exactly as {@code verify-map} does. DJL's stock YOLOv8
 * translator stretches the image to the input size, keeps one class per box and caps nothing, so its mAP is not
 * the one the gate measured. Besides the training package, this is the only package that imports {@code ai.djl}.
 */
package io.github.yoloslim.djl;
