package dev.strata.webadmin.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

class RatesTest {
    private static final Map<String, String> IN = Map.of("direction", "in"), OUT = Map.of("direction", "out");
    private static final long S = 1_000_000_000L;

    @Test
    void ratesAreOverTheWindowAndSurviveACounterReset() {
        Rates r = new Rates(Duration.ofSeconds(60));
        assertThat(r.perSecond()).as("one sample is no rate").isEmpty();
        r.add(0, Map.of(IN, 100.0));
        assertThat(r.seconds()).isZero();
        r.add(10 * S, Map.of(IN, 150.0, OUT, 20.0));
        assertThat(r.seconds()).isEqualTo(10.0);
        assertThat(r.perSecond().get(IN)).isCloseTo(5.0, within(1e-9));
        assertThat(r.perSecond().get(OUT)).as("a label set new since the first sample").isCloseTo(2.0, within(1e-9));
        for (int t = 20; t <= 100; t += 10) r.add(t * S, Map.of(IN, 150.0 + 10 * (t - 10), OUT, 20.0));
        assertThat(r.seconds()).as("only the last minute").isEqualTo(60.0);
        assertThat(r.perSecond().get(IN)).isCloseTo(10.0, within(1e-9));
        assertThat(r.perSecond().get(OUT)).isZero();
        r.add(110 * S, Map.of(IN, 30.0)); // the metrics module was reloaded: its counts started again
        assertThat(r.perSecond().get(IN)).isCloseTo(0.5, within(1e-9));
    }
}
