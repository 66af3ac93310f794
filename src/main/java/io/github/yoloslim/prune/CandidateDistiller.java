package io.github.yoloslim.prune;

import io.github.yoloslim.data.ImageSelection;
import io.github.yoloslim.data.UnreadableImagePolicy;
import io.github.yoloslim.distill.DistillReport;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.progress.ProgressListener;
import io.github.yoloslim.train.DistillationRequest;
import io.github.yoloslim.train.DistillationResult;
import io.github.yoloslim.train.Distiller;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** Distils each search candidate from the unpruned model, in memory, before the search evaluates it. */
final class CandidateDistiller implements PruneSearch.CandidateTraining {

    private final OnnxModel teacher;
    private final SearchDistillation distillation;
    private final ImageSelection images;
    private final String imagesSha256;
    private final UnreadableImagePolicy unreadableImages;
    private final ProgressListener listener;

    CandidateDistiller(OnnxModel teacher, SearchDistillation distillation, ImageSelection images, String imagesSha256,
            UnreadableImagePolicy unreadableImages, ProgressListener listener) {
        this.teacher = teacher;
        this.distillation = distillation;
        this.images = images;
        this.imagesSha256 = imagesSha256;
        this.unreadableImages = unreadableImages;
        this.listener = listener;
    }

    @Override
    public PruneSearch.Trained train(Pruner.Candidate candidate) throws IOException {
        DistillationResult result = new Distiller(listener).run(new DistillationRequest(teacher, candidate.model(),
                images.images(), distillation.trainingImages(), unreadableImages, distillation.settings(),
                Optional.empty()));
        double loss = result.epochs().get(result.epochs().size() - 1).total();
        List<String> notes = new ArrayList<>(candidate.notes());
        notes.add(String.format(Locale.ROOT, "Distilled for %d epochs on %d training images in %.0f s (final loss "
                + "%.4f) before the evaluation", result.epochs().size(), images.images().size()
                - result.skipped().size(), result.seconds(), loss));
        return new PruneSearch.Trained(new Pruner.Candidate(candidate.settings(), candidate.removed(), result.model(),
                notes, candidate.fits(), candidate.cost(), candidate.seconds() + result.seconds()), loss,
                result.seconds());
    }

    @Override
    public PruneReport.Distillation report() {
        return new PruneReport.Distillation(new DistillReport.Images(distillation.trainingImages().getFileName()
                .toString(), images.images().size(), images.available(), List.of(), imagesSha256),
                DistillReport.Settings.of(distillation.settings()));
    }
}
