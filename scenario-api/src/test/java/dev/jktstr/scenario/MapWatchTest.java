package dev.jktstr.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class MapWatchTest {
    @Test
    void parsesMapKeyAndFieldPath() {
        assertThat(MapWatch.parse("stats[1]")).isEqualTo(new MapWatch("stats", 1, List.of()));
        MapWatch bss = MapWatch.parse("scx_qmap.bss[0].nr_enqueued");
        assertThat(bss.map()).isEqualTo("scx_qmap.bss");
        assertThat(bss.field()).containsExactly("nr_enqueued");
        assertThat(bss.name()).isEqualTo("scx_qmap.bss[0].nr_enqueued");
        assertThat(MapWatch.parse(" cpu_ctx_stor[0].avg_weight ").name()).isEqualTo("cpu_ctx_stor[0].avg_weight");
    }

    @Test
    void refusesWhatIsNotAWatch() {
        for (String bad : new String[] {"stats", "stats[]", "stats[-1]", "stats[1].", "a_name_longer_than15[0]", "", "s[1]x"}) {
            assertThatThrownBy(() -> MapWatch.parse(bad)).as(bad).isInstanceOf(InvalidScenarioException.class)
                    .hasMessageContaining("is not MAP[KEY]");
        }
    }

    @Test
    void findsNumbersByPathAndNamesTheFieldsWhereThePathLeavesTheValue() {
        String json = "{\"uei\":{\"kind\":0},\"nr_enqueued\":335,\"seqs\":[0,0,467],\"on\":true}";
        assertThat(MapWatch.at(json, List.of("nr_enqueued"))).isEqualTo(335);
        assertThat(MapWatch.at(json, List.of("uei", "kind"))).isEqualTo(0);
        assertThat(MapWatch.at(json, List.of("seqs", "2"))).isEqualTo(467);
        assertThat(MapWatch.at(json, List.of("on"))).isEqualTo(1);
        assertThat(MapWatch.at(json, List.of("nr_enqueud"))).isEqualTo(List.of("uei", "nr_enqueued", "seqs", "on"));
        assertThat(MapWatch.at(json, List.of("seqs", "9"))).isEqualTo(List.of("[0..2]"));
        assertThat(MapWatch.at("not json", List.of("x"))).isNull();
        assertThat(MapWatch.nearest("nr_enqueud", List.of("uei", "nr_enqueued", "seqs", "on"))).startsWith("; nearest: nr_enqueued");
    }
}
