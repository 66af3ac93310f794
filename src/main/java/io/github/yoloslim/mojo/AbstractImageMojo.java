package io.github.yoloslim.mojo;

import io.github.yoloslim.data.UnreadableImagePolicy;
import org.apache.maven.plugins.annotations.Parameter;

/** What the goals that run the model over images share: how images are batched and what an unreadable one does. */
abstract class AbstractImageMojo extends AbstractYoloSlimMojo {

    /**
     * Images per inference call for models with a dynamic batch; 0 chooses (4; a model with a fixed batch runs
     * its own). Results do not depend on it.
     */
    @Parameter(property = "yoloslim.batchSize", defaultValue = "0")
    int batchSize;

    /**
     * What an image that cannot be decoded (missing, truncated, corrupt) does: {@code skip} (warn, count it in the
     * report, go on without it) or {@code fail}.
     */
    @Parameter(property = "yoloslim.onUnreadableImage", defaultValue = "skip")
    String onUnreadableImage;

    /** {@code <onUnreadableImage>}, parsed. */
    UnreadableImagePolicy unreadableImages() {
        return UnreadableImagePolicy.parse(onUnreadableImage, "onUnreadableImage");
    }
}
