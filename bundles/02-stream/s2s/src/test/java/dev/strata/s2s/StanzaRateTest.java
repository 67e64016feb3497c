package dev.strata.s2s;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The per-domain bound on stanzas from other servers, on a clock the test moves. */
class StanzaRateTest {
    @Test
    void aBurstPassesThenEachStanzaWaitsItsShare() {
        StanzaRate r = new StanzaRate(100);
        long t = System.nanoTime() + 1_000_000_000L;
        for (int i = 0; i < 100; i++) assertThat(r.reserve(t)).as("burst %d", i).isZero();
        assertThat(r.reserve(t)).isEqualTo(10_000_000L); // one more: 1/100 s
        assertThat(r.reserve(t)).isEqualTo(20_000_000L); // and the next queues behind it
        assertThat(r.reserve(t + 30_000_000L)).isZero(); // 30 ms later three tokens came: the debt of two is paid
    }

    @Test
    void domainRatesAreParsedAndBadEntriesLeftOut() {
        assertThat(StanzaRate.parse(new String[] {"Busy.Example=5000", "quiet.example = 0", "bad", "x=-1", "y=z", " "}))
                .containsOnly(java.util.Map.entry("busy.example", 5000), java.util.Map.entry("quiet.example", 0));
    }
}
