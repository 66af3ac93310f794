package io.github.yoloslim.train;

import io.github.yoloslim.onnx.OperatorSemantics;
import io.github.yoloslim.onnx.OperatorSemantics.Channels;
import io.github.yoloslim.onnx.OperatorSemantics.Scales;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The training runtime and the float-model stages agree on the operators: an operator the runtime learns to run
 * gets a decision in {@link OperatorSemantics} (an entry, or a place in {@link #OPAQUE_ON_PURPOSE}).
 */
class OperatorSemanticsCoverageTest {

    /**
     * Operators the runtime runs that the table leaves to its defaults (channels not followed, a scale of their
     * own): the Detect head decode's arithmetic and shape computations, which pruning and the Q/DQ placement do
     * not reach, and Relu, which YOLOv8 does not use. Following one of them is a change of behaviour, made with its
     * tests.
     */
    private static final Set<String> OPAQUE_ON_PURPOSE = Set.of("Cast", "Constant", "ConstantOfShape", "Div",
            "Equal", "Exp", "Expand", "Gather", "Neg", "Range", "Relu", "Shape", "Sub", "Where");

    @Test
    void everyRuntimeOperatorHasAnEntryOrIsOpaqueOnPurpose() {
        Set<String> runtime = Set.of(OnnxOperators.supported().split(", "));
        assertThat(runtime).allSatisfy(opType -> assertThat(OperatorSemantics.listed().contains(opType)
                || OPAQUE_ON_PURPOSE.contains(opType)).as(opType + " has no decision").isTrue());
        assertThat(OPAQUE_ON_PURPOSE).allSatisfy(opType -> {
            assertThat(runtime).as("the runtime runs " + opType).contains(opType);
            assertThat(OperatorSemantics.listed()).doesNotContain(opType);
            assertThat(OperatorSemantics.of(opType).channels()).isEqualTo(Channels.OPAQUE);
            assertThat(OperatorSemantics.of(opType).scales()).isEqualTo(Scales.OWN);
        });
    }
}
