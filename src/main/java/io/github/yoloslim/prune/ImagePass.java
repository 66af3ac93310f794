package io.github.yoloslim.prune;

import ai.onnxruntime.OrtException;
import io.github.yoloslim.data.DecodeSchedule;
import io.github.yoloslim.data.Letterbox;
import io.github.yoloslim.data.UnreadableImagePolicy;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.onnx.YoloModelInfo;
import io.github.yoloslim.progress.ProgressListener;
import io.github.yoloslim.runtime.ImageBatches;
import io.github.yoloslim.runtime.TappedSession;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.List;
import java.util.stream.IntStream;

/**
 * One pass of calibration images through a model with some tensors tapped: one image per run, through the shared
 * image loop ({@link ImageBatches}), each tapped tensor handed over in place.
 */
final class ImagePass {

    /** Where the images of passes after the first come from: images that the first pass has read already. */
    static final ImageBatches.Source READ_BEFORE = new ImageBatches.Source("calibrationImages",
            "(images read by an earlier pass)", "pruning pass");

    /** Receives one tapped tensor of one image; the buffer is valid only during the call. */
    @FunctionalInterface
    interface Visitor {
        void accept(int image, String tensor, FloatBuffer values, long[] shape);
    }

    private ImagePass() {
    }

    /**
     * Runs every readable image of {@code images}; unreadable ones are skipped or fail as {@code policy} says.
     *
     * @return the indices (into {@code images}) of the images that were read and run
     */
    static BitSet run(OnnxModel model, YoloModelInfo info, List<String> tensors, List<Path> images, int threads,
            UnreadableImagePolicy policy, ImageBatches.Source source, ProgressListener listener, Visitor visitor)
            throws IOException, OrtException {
        BitSet read = new BitSet();
        List<Integer> indices = IntStream.range(0, images.size()).boxed().toList();
        try (TappedSession session = TappedSession.open(model, info, tensors, threads);
                ImageBatches<Integer> batches = ImageBatches.of(indices, images::get,
                        new Letterbox(info.inputHeight(), info.inputWidth()), 1, DecodeSchedule.betweenRuns(threads),
                        policy, source, listener)) {
            while (batches.hasNext()) {
                ImageBatches.Batch<Integer> batch = batches.next();
                int image = batch.items().get(0).source();
                read.set(image);
                session.run(batch.pixels(), 1, (tensor, values) -> visitor.accept(image, tensor, values,
                        session.shape(tensor)));
            }
        }
        return read;
    }

    /** A pass over images an earlier pass has read: any that cannot be read now fails. */
    static BitSet run(OnnxModel model, YoloModelInfo info, List<String> tensors, List<Path> images, int threads,
            Visitor visitor) throws IOException, OrtException {
        return run(model, info, tensors, images, threads, UnreadableImagePolicy.FAIL, READ_BEFORE,
                ProgressListener.silent(), visitor);
    }
}
