package io.github.yoloslim.data;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CocoCategoriesTest {

    @Test
    void hasTheEightyCategoriesWithTheirOfficialIds() {
        assertThat(CocoCategories.ALL).hasSize(80);
        assertThat(CocoCategories.ALL).extracting(Category::id).doesNotHaveDuplicates().isSorted()
                .startsWith(1, 2, 3).endsWith(88, 89, 90);
        assertThat(CocoCategories.ALL.get(0)).isEqualTo(new Category(1, "person"));
        assertThat(CocoCategories.ALL.get(79)).isEqualTo(new Category(90, "toothbrush"));
    }

    @Test
    void looksUpNamesLoosely() {
        assertThat(CocoCategories.idOf("person")).hasValue(1);
        assertThat(CocoCategories.idOf("Potted_Plant")).hasValue(64);
        assertThat(CocoCategories.idOf("pottedplant")).hasValue(64);
        assertThat(CocoCategories.idOf(" hair-drier ")).hasValue(89);
        assertThat(CocoCategories.idOf("TV")).hasValue(72);
        assertThat(CocoCategories.idOf("unicorn")).isEmpty();
    }
}
