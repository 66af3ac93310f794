package io.github.yoloslim.data;

import java.util.List;

/**
 * A loaded dataset and what the caller should log about it.
 *
 * @param dataset the images (after {@code maxImages}), categories and ground truth
 * @param availableImages images the dataset has before {@code maxImages} was applied
 * @param ignoredImages image files in the folder that the COCO annotations do not list (always 0 for YOLO)
 * @param notes one line each about anything left out or assumed (ignored files, images without labels,
 *        duplicate labels removed); empty when there is nothing to say
 */
public record LoadedDataset(Dataset dataset, int availableImages, int ignoredImages, List<String> notes) {

    public LoadedDataset {
        notes = List.copyOf(notes);
    }

    /** One line for the log, e.g. {@code COCO dataset ... : 80 images, 815 boxes (11 crowd), 80 categories}. */
    public String summary() {
        long crowd = dataset.annotations().stream().filter(GroundTruthBox::crowd).count();
        int images = dataset.images().size();
        return dataset.format() + " dataset " + dataset.description() + ": " + images + " images"
                + (images < availableImages ? " (first " + images + " of " + availableImages + " by id)" : "") + ", "
                + dataset.annotations().size() + " boxes" + (crowd > 0 ? " (" + crowd + " crowd)" : "") + ", "
                + dataset.categories().size() + " categories";
    }
}
