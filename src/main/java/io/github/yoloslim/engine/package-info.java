/**
 * TensorRT engines behind an {@link io.github.yoloslim.engine.EngineBuilder} interface found through
 * {@link java.util.ServiceLoader}: requests, precision choice, manifests, up-to-date checks. Only
 * {@code engine.tensorrt} touches TensorRT itself, so everything else builds and is tested without a GPU.
 */
package io.github.yoloslim.engine;
