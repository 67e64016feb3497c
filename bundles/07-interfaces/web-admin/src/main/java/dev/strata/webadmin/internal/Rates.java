package dev.strata.webadmin.internal;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Samples of a counter over a sliding window (the dashboard's last minute), and each label set's
 * rate per second between the oldest sample and the newest. A count lower than before means the
 * metrics module was reloaded and started again from zero: the new count is the increase then.
 */
final class Rates {
    private record Sample(long nanos, Map<Map<String, String>, Double> values) {
    }

    private final long span;
    private final ArrayDeque<Sample> window = new ArrayDeque<>();

    Rates(Duration span) {
        this.span = span.toNanos();
    }

    synchronized void add(long nanos, Map<Map<String, String>, Double> values) {
        window.addLast(new Sample(nanos, values));
        while (window.size() > 2 && nanos - window.peekFirst().nanos() > span) window.pollFirst();
    }

    /** The seconds the rates are over; 0 while there are fewer than two samples. */
    synchronized double seconds() {
        return window.size() < 2 ? 0 : (window.peekLast().nanos() - window.peekFirst().nanos()) / 1e9;
    }

    /** Per second, by label set, over {@link #seconds()}; empty while there are fewer than two samples. */
    synchronized Map<Map<String, String>, Double> perSecond() {
        double seconds = seconds();
        if (seconds <= 0) return Map.of();
        Map<Map<String, String>, Double> first = window.peekFirst().values(), rates = new LinkedHashMap<>();
        window.peekLast().values().forEach((labels, now) -> {
            double before = first.getOrDefault(labels, 0.0);
            rates.put(labels, (now >= before ? now - before : now) / seconds);
        });
        return rates;
    }
}
