/** ONNX Runtime sessions on the CPU: thread settings, graph optimisation and batched detector inference. */
package io.github.yoloslim.runtime;
