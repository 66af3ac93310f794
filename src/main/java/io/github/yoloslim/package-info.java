/**
 * yolo-slim core: everything the Maven goals do, with no Maven types. Sub-packages follow the pipeline
 * (onnx, data, runtime, eval, gate, cache); {@code mojo} is the thin Maven adapter on top.
 */
package io.github.yoloslim;
