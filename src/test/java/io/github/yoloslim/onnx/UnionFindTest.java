package io.github.yoloslim.onnx;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

class UnionFindTest {

    @Test
    void anElementNeverUnitedIsItsOwnClass() {
        UnionFind<String> classes = new UnionFind<>();
        assertThat(classes.find("a")).isEqualTo("a");
        classes.union("b", "c");
        assertThat(classes.find("a")).isEqualTo("a");
        assertThat(classes.find("b")).isEqualTo(classes.find("c")).isNotEqualTo("a");
    }

    @Test
    void unionsAreTransitiveAndClassesKeepTheGivenOrder() {
        UnionFind<String> classes = new UnionFind<>();
        classes.union("d", "b");
        classes.union("e", "f");
        classes.union("b", "a");
        classes.union("a", "d");
        assertThat(classes.classes(List.of("a", "b", "c", "d", "e", "f")).values()).containsExactly(
                List.of("a", "b", "d"), List.of("c"), List.of("e", "f"));
    }

    @Test
    void longChainsEndInOneRepresentativeFoundFromEveryMember() {
        UnionFind<Integer> classes = new UnionFind<>();
        IntStream.range(1, 1000).forEach(i -> classes.union(i, i - 1));
        IntStream.range(1000, 1010).forEach(i -> classes.union(i, 2000));
        Integer root = classes.find(0);
        assertThat(IntStream.range(0, 1000).map(classes::find)).containsOnly(root);
        assertThat(IntStream.range(1000, 1010).map(classes::find)).doesNotContain(root)
                .containsOnly(classes.find(2000));
        assertThat(classes.classes(IntStream.range(0, 1000).boxed().toList())).hasSize(1);
    }
}
