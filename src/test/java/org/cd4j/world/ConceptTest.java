package org.cd4j.world;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ConceptTest {
    @Test
    void viewsDifferButKeepTheConceptsIdentity() {
        assertThat(Concept.values()).hasSizeGreaterThanOrEqualTo(3);
        for (Concept c : Concept.values()) {
            List<Sample> views = c.views(12);
            assertThat(views).hasSize(12);
            Set<List<Integer>> distinct = new HashSet<>();
            Set<Background> backgrounds = new HashSet<>();
            Set<Size> sizes = new HashSet<>();
            for (Sample v : views) {
                Scene s = v.scene();
                assertThat(s.concept()).isEqualTo(c);
                assertThat(c.matches(s.category(), s.colour(), s.pattern(), s.patternColour())).isTrue();
                assertThat(v.caption()).isEqualTo("a photo of a " + c.category().word());
                distinct.add(java.util.Arrays.stream(WorldTest.pixels(v.image())).boxed().toList());
                backgrounds.add(s.background());
                sizes.add(s.size());
            }
            assertThat(distinct).hasSize(12);
            assertThat(backgrounds).containsExactlyInAnyOrder(Background.values());
            assertThat(sizes).containsExactlyInAnyOrder(Size.values());
            assertThat(c.description()).contains(c.category().word(), c.colour().word(), c.patternColour().word());
        }
    }

    @Test
    void viewsAreFixedAndPrefixStable() {
        List<Sample> eight = Concept.ZIGZAG_CUP.views(8), ten = Concept.ZIGZAG_CUP.views(10);
        for (int i = 0; i < 8; i++) {
            assertThat(ten.get(i).scene()).isEqualTo(eight.get(i).scene());
            assertThat(WorldTest.pixels(ten.get(i).image())).isEqualTo(WorldTest.pixels(eight.get(i).image()));
        }
    }

    @Test
    void shapeDetailsChangeThePicture() {
        // the same scene drawn as the concept and as an ordinary object of the same combination
        for (Concept c : new Concept[] {Concept.ZIGZAG_CUP, Concept.DOME_HOUSE, Concept.GIFT_BOX}) {
            Scene s = c.views(1).get(0).scene();
            Scene plain = new Scene(s.category(), s.colour(), s.pattern(), s.patternColour(), s.size(), s.x(), s.y(),
                    s.angle(), s.background(), null, s.detailSeed());
            assertThat(WorldTest.pixels(Renderer.render(plain))).as(c.name())
                    .isNotEqualTo(WorldTest.pixels(Renderer.render(s)));
        }
    }
}
