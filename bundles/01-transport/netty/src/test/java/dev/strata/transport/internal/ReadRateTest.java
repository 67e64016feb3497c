package dev.strata.transport.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ReadRateTest {
    private static final long S = 1_000_000_000L;

    @Test
    void aBurstPassesThenTheSenderWaitsForItsRate() {
        ReadRate r = new ReadRate(1000, 4000);
        assertThat(r.take(4000, 0)).as("the burst").isZero();
        assertThat(r.take(500, 0)).as("500 bytes over: half a second").isEqualTo(S / 2);
        assertThat(r.take(0, S / 2)).isZero();
        assertThat(r.take(1000, 2 * S)).as("refilled 1.5 s worth").isZero();
        assertThat(r.take(1000, 2 * S)).isEqualTo(S / 2);
    }

    @Test
    void tokensNeverExceedTheBurst() {
        ReadRate r = new ReadRate(1000, 2000);
        r.take(0, 0);
        assertThat(r.take(2000, 3600 * S)).isZero();
        assertThat(r.take(1, 3600 * S)).isPositive();
    }
}
