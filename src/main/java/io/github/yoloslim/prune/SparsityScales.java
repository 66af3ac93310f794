package io.github.yoloslim.prune;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.cache.Json;
import io.github.yoloslim.onnx.OnnxModel;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The channel scales that sparsity training learned, carried in the model's metadata so that {@code prune} can
 * rank by them after they were folded into the weights ({@link ImportanceCriterion#SCALE}). Names and sizes are
 * {@link ChannelDependencyAnalysis}'s groups.
 *
 * @param threshold channels whose |scale| is below this are the ones to prune
 * @param scales every group's scales by group name, at the end of training (the last stage of {@code path})
 * @param path every stage of a penalty path in training order, each starting from the one before; empty for a
 *        model written before sparsify trained paths
 */
public record SparsityScales(double threshold, Map<String, float[]> scales, List<Stage> path) {

    /** The metadata property that holds them. */
    public static final String METADATA_KEY = "yoloslim.sparsity_scales";

    public SparsityScales {
        scales = Collections.unmodifiableMap(new LinkedHashMap<>(scales));
        path = path == null ? List.of() : List.copyOf(path);
    }

    /** The scales of a single training at an unrecorded penalty. */
    public SparsityScales(double threshold, Map<String, float[]> scales) {
        this(threshold, scales, List.of());
    }

    /**
     * One stage of a penalty path: the scales after training at one λ.
     *
     * @param penalty the stage's λ
     * @param epochs the stage's passes over the training images
     * @param scales every group's scales by group name
     */
    public record Stage(Double penalty, int epochs, Map<String, float[]> scales) {

        public Stage {
            scales = Collections.unmodifiableMap(new LinkedHashMap<>(scales));
        }

        /** The penalty as a report shows it. */
        public String describe() {
            return penalty == null ? "the recorded scales" : "penalty " + penalty;
        }
    }

    /** The stages to rank by: the path, or the final scales as the only stage when no path was recorded. */
    public List<Stage> stages() {
        return path.isEmpty() ? List.of(new Stage(null, 0, scales)) : path;
    }

    /** These scales with only {@code stage}'s, as its final ones. */
    public SparsityScales only(Stage stage) {
        return new SparsityScales(threshold, stage.scales(), List.of(stage));
    }

    /** {@code model} carrying these scales. */
    public OnnxModel attachTo(OnnxModel model) {
        try {
            return model.withMetadata(METADATA_KEY, Json.mapper().writeValueAsString(this));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write channel scales as JSON", e);
        }
    }

    /** {@code model} without channel scales (what prune writes: its channels no longer match them). */
    public static OnnxModel removedFrom(OnnxModel model) {
        return model.metadata().containsKey(METADATA_KEY) ? model.withMetadata(METADATA_KEY, null) : model;
    }

    /**
     * The scales {@code model} carries, if it came from sparsity training.
     *
     * @throws InvalidInputException when the property is there but unreadable
     */
    public static Optional<SparsityScales> of(OnnxModel model, String parameter) {
        String value = model.metadata().get(METADATA_KEY);
        if (value == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(Json.mapper().readValue(value, SparsityScales.class));
        } catch (JsonProcessingException e) {
            throw new InvalidInputException(parameter + " " + model.source() + " has metadata " + METADATA_KEY
                    + " that cannot be read (" + e.getOriginalMessage() + "). Rerun sparsify to write the model "
                    + "again, or prune by weights with <criterion>l1</criterion>.");
        }
    }
}
