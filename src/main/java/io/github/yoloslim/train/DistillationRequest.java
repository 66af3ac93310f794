package io.github.yoloslim.train;

import io.github.yoloslim.data.UnreadableImagePolicy;
import io.github.yoloslim.onnx.OnnxModel;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Everything a distillation needs.
 *
 * @param teacher the original model, whose outputs the student learns to reproduce
 * @param student the model to train (a pruned copy of the teacher); its Detect head must match the teacher's
 * @param images the unlabelled training images, in a fixed order (e.g. {@link io.github.yoloslim.data.ImageSelection})
 * @param imageFolder where they came from, for messages
 * @param unreadableImages what an image that cannot be decoded does
 * @param output where the trained student is written (atomically, only when training succeeds); empty to keep it
 *        in memory only
 * @param scaling for sparsity training: the channel scales to train under an L1 penalty, folded into the written
 *        model when the weights train too; empty for plain distillation
 */
public record DistillationRequest(OnnxModel teacher, OnnxModel student, List<Path> images, Path imageFolder,
        UnreadableImagePolicy unreadableImages, DistillationSettings settings, Optional<Path> output,
        Optional<ChannelScaling> scaling) {

    public DistillationRequest {
        images = List.copyOf(images);
    }

    /** A plain distillation, without channel scales. */
    public DistillationRequest(OnnxModel teacher, OnnxModel student, List<Path> images, Path imageFolder,
            UnreadableImagePolicy unreadableImages, DistillationSettings settings, Optional<Path> output) {
        this(teacher, student, images, imageFolder, unreadableImages, settings, output, Optional.empty());
    }
}
