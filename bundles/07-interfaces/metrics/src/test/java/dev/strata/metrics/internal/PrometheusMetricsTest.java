package dev.strata.metrics.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import dev.strata.api.metrics.Metrics;

class PrometheusMetricsTest {
    @Test
    void countersHistogramsAndGaugesComeOutInTheTextFormat() throws Exception {
        PrometheusMetrics m = new PrometheusMetrics();
        m.counter("strata_test_logins", "Logins", "result").inc("success");
        // asking again (a reloaded module) gives the same counter
        m.counter("strata_test_logins", "Logins", "result").labels("success").inc(2);
        m.histogram("strata_test_route_seconds", "Routing", "kind").observe(0.0003, "message");
        AutoCloseable g = m.gauge("strata_test_sessions", "Sessions", s -> {
            s.set(3, "tcp");
            s.set(1, "websocket");
        }, "transport");
        String text = new String(m.scrape("text/plain").body(), UTF_8);
        assertThat(text).contains("# TYPE strata_test_logins_total counter", "strata_test_logins_total{result=\"success\"} 3.0",
                "strata_test_route_seconds_bucket{kind=\"message\",le=\"5.0E-4\"} 1", "strata_test_route_seconds_bucket{kind=\"message\",le=\"2.5E-4\"} 0",
                "strata_test_sessions{transport=\"tcp\"} 3.0", "strata_test_sessions{transport=\"websocket\"} 1.0");
        g.close();
        assertThat(new String(m.scrape(null).body(), UTF_8)).doesNotContain("strata_test_sessions");
        PrometheusMetrics.Scrape om = m.scrape("application/openmetrics-text; version=1.0.0");
        assertThat(om.contentType()).startsWith("application/openmetrics-text");
        assertThat(new String(om.body(), UTF_8)).endsWith("# EOF\n");
        assertThatThrownBy(() -> m.histogram("strata_test_logins", "x")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aDashboardReadsTheValuesNow() throws Exception {
        PrometheusMetrics m = new PrometheusMetrics();
        m.counter("strata_test_stanzas", "Stanzas", "direction", "kind").inc("in", "message");
        m.counter("strata_test_stanzas", "Stanzas", "direction", "kind").labels("out", "message").inc(4);
        try (AutoCloseable g = m.gauge("strata_test_sessions", "Sessions", s -> s.set(2, "bosh"), "transport")) {
            assertThat(m.read("strata_test_stanzas")).containsEntry(java.util.Map.of("direction", "in", "kind", "message"), 1.0)
                    .containsEntry(java.util.Map.of("direction", "out", "kind", "message"), 4.0).hasSize(2);
            assertThat(m.read("strata_test_sessions")).containsExactly(java.util.Map.entry(java.util.Map.of("transport", "bosh"), 2.0));
        }
        assertThat(m.read("strata_test_sessions")).as("a closed gauge").isEmpty();
        assertThat(m.read("strata_nothing")).isEmpty();
        assertThat(Metrics.NONE.read("strata_test_stanzas")).isEmpty();
    }

    @Test
    void nothingIsRecordedWithoutTheService() throws Exception {
        Metrics.NONE.counter("x", "y", "a").inc("b");
        Metrics.NONE.histogram("x", "y").labels().since(System.nanoTime());
        Metrics.NONE.gauge("x", "y", s -> s.set(1)).close();
    }
}
