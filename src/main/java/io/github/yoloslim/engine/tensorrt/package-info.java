/**
 * The TensorRT implementation of {@link io.github.yoloslim.engine.EngineBuilder}, registered for
 * {@link java.util.ServiceLoader}: the only package, and the only class in it, that uses TensorRT and CUDA.
 */
package io.github.yoloslim.engine.tensorrt;
