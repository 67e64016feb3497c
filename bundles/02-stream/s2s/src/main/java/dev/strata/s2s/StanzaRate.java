package dev.strata.s2s;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A token bucket of stanzas per second (a burst of as many), waited on by the streams of one remote
 * domain: a peer over its bound is read more slowly, through the streams' back-pressure, and loses
 * nothing.
 */
final class StanzaRate {
    private static final Logger LOG = LoggerFactory.getLogger(StanzaRate.class);
    private final double perNano;
    private final double burst;
    private double tokens;
    private long last = System.nanoTime();

    StanzaRate(int perSecond) {
        this.perNano = perSecond / 1e9;
        this.burst = perSecond;
        this.tokens = perSecond;
    }

    /** Takes one stanza's token, waiting for it when there is none. */
    void acquire() throws InterruptedException {
        long wait = reserve(System.nanoTime());
        if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
    }

    /** Takes a token now (going into debt when there is none) and says how long to wait for it. */
    synchronized long reserve(long now) {
        tokens = Math.min(burst, tokens + (now - last) * perNano);
        last = now;
        tokens -= 1;
        return tokens >= 0 ? 0 : (long) Math.ceil(-tokens / perNano);
    }

    /** {@code domain=rate} entries; bad ones are logged and left out. */
    static Map<String, Integer> parse(String[] entries) {
        Map<String, Integer> m = new HashMap<>();
        for (String raw : entries == null ? new String[0] : entries) {
            String e = raw.strip();
            if (e.isEmpty()) continue;
            int eq = e.indexOf('=');
            try {
                if (eq <= 0) throw new NumberFormatException();
                int rate = Integer.parseInt(e.substring(eq + 1).strip());
                if (rate < 0) throw new NumberFormatException();
                m.put(e.substring(0, eq).strip().toLowerCase(Locale.ROOT), rate);
            } catch (NumberFormatException x) {
                LOG.error("strata.s2s domain.rates: '{}' is not domain=stanzas per second; left out", e);
            }
        }
        return Map.copyOf(m);
    }
}
