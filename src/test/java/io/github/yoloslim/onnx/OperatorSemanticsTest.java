package io.github.yoloslim.onnx;

import io.github.yoloslim.onnx.OperatorSemantics.ChannelCondition;
import io.github.yoloslim.onnx.OperatorSemantics.Channels;
import io.github.yoloslim.onnx.OperatorSemantics.Constant;
import io.github.yoloslim.onnx.OperatorSemantics.Scales;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OperatorSemanticsTest {

    @Test
    void anUnlistedOperatorIsOpaqueWithAScaleOfItsOwn() {
        for (String opType : List.of("Abs", "Attention", "MatMul", "conv")) {
            assertThat(OperatorSemantics.listed()).doesNotContain(opType);
            assertThat(OperatorSemantics.of(opType)).isEqualTo(new OperatorSemantics(opType, Channels.OPAQUE,
                    ChannelCondition.NONE, Scales.OWN, Constant.UNKNOWN, false));
        }
    }

    @Test
    void qLinearOperatorsAreQuantizationByPrefix() {
        assertThat(OperatorSemantics.listed()).doesNotContain("QLinearConv");
        assertThat(OperatorSemantics.of("QLinearConv").scales()).isEqualTo(Scales.QUANTIZATION);
        assertThat(OperatorSemantics.of("QLinearConv").channels()).isEqualTo(Channels.OPAQUE);
        assertThat(OperatorSemantics.of("QuantizeLinear").scales()).isEqualTo(Scales.QUANTIZATION);
    }

    /** The pruner computes constants for every tensor the analysis follows, so every followed operator needs a rule. */
    @Test
    void followedOperatorsHaveAConstantRuleAndOnlyPerChannelOnesACondition() {
        for (String opType : OperatorSemantics.listed()) {
            OperatorSemantics semantics = OperatorSemantics.of(opType);
            assertThat(semantics.opType()).isEqualTo(opType);
            assertThat(semantics.constant() == Constant.UNKNOWN).as(opType)
                    .isEqualTo(semantics.channels() == Channels.OPAQUE);
            if (semantics.channels() != Channels.PER_CHANNEL) {
                assertThat(semantics.condition()).as(opType).isEqualTo(ChannelCondition.NONE);
            }
        }
    }

    @Test
    void elementwiseRulesComputeTheConstant() {
        assertThat(Constant.UNCHANGED.apply(-2.5, Double.NaN)).isEqualTo(-2.5);
        assertThat(Constant.SIGMOID.apply(0, Double.NaN)).isEqualTo(0.5);
        assertThat(Constant.PRODUCT.apply(2, 3)).isEqualTo(6);
        assertThat(Constant.SUM.apply(2, 3)).isEqualTo(5);
        assertThat(Constant.SIGMOID.apply(Double.NaN, Double.NaN)).isNaN();
        assertThat(List.of(Constant.UNCHANGED, Constant.SIGMOID)).allMatch(rule -> rule.operands() == 1);
        assertThat(List.of(Constant.PRODUCT, Constant.SUM)).allMatch(rule -> rule.operands() == 2);
        assertThatThrownBy(() -> Constant.CONCATENATED.apply(1, 1)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("CONCATENATED");
    }
}
