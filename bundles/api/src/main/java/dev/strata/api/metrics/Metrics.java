package dev.strata.api.metrics;

import java.util.Map;
import java.util.function.Consumer;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Where modules record what operators graph: counters, histograms of durations, and gauges read
 * when scraped. Names follow Prometheus conventions ({@code strata_} prefix, snake case, a counter
 * without its {@code _total}, a duration in seconds ending in {@code _seconds}); label values are
 * few and bounded (a stanza kind, a transport, a mechanism; never a JID or an address).
 *
 * <p>Asking twice for one name returns the same metric, so a module that is reloaded keeps
 * counting where it was. A module references the service optionally and dynamically and records
 * into {@link #NONE} while there is none, so the metrics module may come and go. Recording is
 * cheap, lock-free and safe from any thread; keep a {@link Counter.Child} per label set on hot paths.
 */
@ProviderType
public interface Metrics {
    /** A monotonic count ({@code name_total}) per label values. */
    Counter counter(String name, String help, String... labelNames);

    /** Durations in seconds, in buckets from 100 µs to 10 s. */
    Histogram histogram(String name, String help, String... labelNames);

    /**
     * A gauge whose samples {@code collect} gives when scraped (on the scraping thread: quick, no
     * blocking). Closing the result removes it; a module closes its gauges when it stops.
     */
    AutoCloseable gauge(String name, String help, Consumer<Samples> collect, String... labelNames);

    /**
     * The current values of a counter (its name without {@code _total}) or gauge, one per label
     * set (label name to value); empty when nothing by that name is recorded. For dashboards that
     * show a figure now (the web admin): it collects the metric, so keep it off hot paths.
     */
    Map<Map<String, String>, Double> read(String name);

    interface Counter {
        /** One more for these label values (as many as the label names). */
        default void inc(String... labelValues) {
            labels(labelValues).inc();
        }

        Child labels(String... labelValues);

        interface Child {
            void inc();

            void inc(long n);
        }
    }

    interface Histogram {
        default void observe(double seconds, String... labelValues) {
            labels(labelValues).observe(seconds);
        }

        Child labels(String... labelValues);

        interface Child {
            void observe(double seconds);

            /** Observes the time since {@code startNanos} ({@link System#nanoTime()}). */
            default void since(long startNanos) {
                observe((System.nanoTime() - startNanos) / 1e9);
            }
        }
    }

    /** Receives a gauge's samples. */
    interface Samples {
        void set(double value, String... labelValues);
    }

    /** Records nothing: what a module uses while no metrics service is registered. */
    Metrics NONE = new Metrics() {
        private static final Counter.Child NO_COUNT = new Counter.Child() {
            @Override
            public void inc() {
            }

            @Override
            public void inc(long n) {
            }
        };
        private static final Histogram.Child NO_TIME = seconds -> { };

        @Override
        public Map<Map<String, String>, Double> read(String name) {
            return Map.of();
        }

        @Override
        public Counter counter(String name, String help, String... labelNames) {
            return values -> NO_COUNT;
        }

        @Override
        public Histogram histogram(String name, String help, String... labelNames) {
            return values -> NO_TIME;
        }

        @Override
        public AutoCloseable gauge(String name, String help, Consumer<Samples> collect, String... labelNames) {
            return () -> { };
        }
    };
}
