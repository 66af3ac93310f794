package io.github.yoloslim.engine;

/** Whether engines can be built on this machine, and if not, what is missing. */
public enum Availability {
    /** TensorRT, the CUDA driver and runtime, and a GPU are all here. */
    AVAILABLE("TensorRT and a GPU are available"),
    /** No CUDA driver ({@code libcuda.so.1}): a machine without an NVIDIA GPU or driver. */
    NO_CUDA_DRIVER("no CUDA driver (libcuda.so.1)"),
    /** The CUDA runtime libraries ({@code libcudart}) are missing. */
    NO_CUDA_RUNTIME("no CUDA runtime (libcudart)"),
    /** TensorRT's libraries ({@code libnvinfer}, {@code libnvonnxparser}) are missing. */
    NO_TENSORRT("no TensorRT libraries (libnvinfer)"),
    /** The driver loads but reports no GPU. */
    NO_GPU("no CUDA GPU"),
    /** Something else failed while loading; the detail says what. */
    FAILED("TensorRT could not be loaded");

    private final String description;

    Availability(String description) {
        this.description = description;
    }

    /** What is missing, in words. */
    public String description() {
        return description;
    }
}
