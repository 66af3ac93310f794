package io.github.yoloslim.engine.tensorrt;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.tensorrt.nvinfer.IInt8EntropyCalibrator2;

/**
 * Implicit INT8 from a calibration cache alone: TensorRT reads the cache and, when it matches this TensorRT,
 * asks for no images. Should it not match, {@link #getBatch} ends calibration at once and TensorRT reports that
 * it has no scales.
 */
@SuppressWarnings("deprecation")
final class CacheCalibrator extends IInt8EntropyCalibrator2 {
    // Held as a field so the bytes stay allocated while TensorRT reads them during the build.
    private final BytePointer cache;
    private final long length;

    CacheCalibrator(byte[] cache) {
        this.cache = new BytePointer(cache);
        this.length = cache.length;
    }

    @Override
    public int getBatchSize() {
        return 1;
    }

    @Override
    @SuppressWarnings("rawtypes") // JavaCPP declares the parameters raw; an override must match.
    public boolean getBatch(PointerPointer bindings, PointerPointer names, int nbBindings) {
        return false;
    }

    @Override
    public Pointer readCalibrationCache(LongPointer length) {
        length.put(this.length);
        return cache;
    }

    @Override
    public void writeCalibrationCache(Pointer ptr, long length) {
        // The cache came from the calibrate goal; TensorRT has nothing new to add to it.
    }

    @Override
    public void deallocate() {
        cache.close();
        super.deallocate();
    }
}
