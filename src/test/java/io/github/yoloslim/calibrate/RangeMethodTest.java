package io.github.yoloslim.calibrate;

import io.github.yoloslim.InvalidInputException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RangeMethodTest {

    @Test
    void parsesEveryMethodCaseInsensitively() {
        for (RangeMethod method : RangeMethod.values()) {
            assertThat(RangeMethod.parse(method.id(), "rangeMethod")).isEqualTo(method);
        }
        assertThat(RangeMethod.parse(" Entropy ", "rangeMethod")).isEqualTo(RangeMethod.ENTROPY);
    }

    @Test
    void rejectsAnUnknownMethodNamingTheElementAndTheChoices() {
        assertThatThrownBy(() -> RangeMethod.parse("kl", "rangeMethod"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("<rangeMethod>kl</rangeMethod> is not a valid choice")
                .hasMessageContainingAll("entropy", "minmax", "percentile", "mse");
    }
}
