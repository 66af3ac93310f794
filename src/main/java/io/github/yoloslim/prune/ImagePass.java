package io.github.yoloslim.prune;

import ai.onnxruntime.OrtException;
import io.github.yoloslim.data.Letterbox;
import io.github.yoloslim.data.LetterboxFeed;
import io.github.yoloslim.data.LetterboxFeed.Item;
import io.github.yoloslim.data.UnreadableImageException;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.onnx.YoloModelInfo;
import io.github.yoloslim.runtime.TappedSession;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.List;

/**
 * One pass of calibration images through a model with some tensors tapped: one image per run, decoded and
 * letterboxed on a background thread, each tapped tensor handed over in place.
 */
final class ImagePass {

    /** Receives one tapped tensor of one image; the buffer is valid only during the call. */
    @FunctionalInterface
    interface Visitor {
        void accept(int image, String tensor, FloatBuffer values, long[] shape);
    }

    /** What an unreadable image does: warn and go on, or throw. */
    @FunctionalInterface
    interface Unreadable {
        void handle(UnreadableImageException error) throws IOException;
    }

    private ImagePass() {
    }

    /**
     * Runs every readable image of {@code images}.
     *
     * @return the indices (into {@code images}) of the images that were read and run
     */
    static BitSet run(OnnxModel model, YoloModelInfo info, List<String> tensors, List<Path> images, int threads,
            Unreadable unreadable, Visitor visitor) throws IOException, OrtException {
        BitSet read = new BitSet();
        try (TappedSession session = TappedSession.open(model, info, tensors, threads);
                LetterboxFeed<Path> feed = new LetterboxFeed<>(images, path -> path,
                        new Letterbox(info.inputHeight(), info.inputWidth()), 2)) {
            for (int image = 0; feed.hasNext(); image++) {
                Item<Path> item = feed.next();
                if (item.error() != null) {
                    unreadable.handle(item.error());
                    continue;
                }
                read.set(image);
                int index = image;
                session.run(item.pixels(), 1, (tensor, values) -> visitor.accept(index, tensor, values,
                        session.shape(tensor)));
            }
        }
        return read;
    }
}
