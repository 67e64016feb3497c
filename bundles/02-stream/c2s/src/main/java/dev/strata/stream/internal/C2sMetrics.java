package dev.strata.stream.internal;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.metrics.Metrics;
import dev.strata.api.xml.Element;

/**
 * What the client streams record while the metrics module is loaded: stanzas from and to clients
 * by kind ({@code strata_client_stanzas_total{direction,kind}}) and the bound sessions by transport
 * ({@code strata_sessions{transport}}, and the work queued on their workers, read when scraped). {@link #NONE} records nothing.
 */
final class C2sMetrics {
    private static final Logger LOG = LoggerFactory.getLogger(C2sMetrics.class);
    private static final String[] KINDS = {"message", "presence", "iq"};
    static final C2sMetrics NONE = new C2sMetrics(Metrics.NONE, java.util.List::of);

    private final Metrics.Counter.Child[] in = new Metrics.Counter.Child[3], out = new Metrics.Counter.Child[3];
    private final AutoCloseable sessions, queues;

    C2sMetrics(Metrics m, java.util.function.Supplier<Collection<ClientSession>> live) {
        Metrics.Counter stanzas = m.counter("strata_client_stanzas", "Stanzas clients sent (in) and were sent (out), by kind", "direction", "kind");
        for (int i = 0; i < 3; i++) {
            in[i] = stanzas.labels("in", KINDS[i]);
            out[i] = stanzas.labels("out", KINDS[i]);
        }
        sessions = m.gauge("strata_sessions", "Bound client sessions by transport (tcp, websocket, bosh; detached: kept by stream management without a connection)",
                samples -> {
                    Map<String, Integer> by = new HashMap<>(Map.of("tcp", 0, "websocket", 0, "bosh", 0, "detached", 0));
                    for (ClientSession s : live.get()) by.merge(s.transportKind(), 1, Integer::sum);
                    by.forEach((k, n) -> samples.set(n, k));
                }, "transport");
        queues = m.gauge("strata_session_tasks_pending", "Work queued on client sessions' ordered workers (stanzas the client sent, not yet "
                + "routed): the sum over all sessions, and the most one session has", samples -> {
                    long total = 0;
                    int most = 0;
                    for (ClientSession s : live.get()) {
                        int n = s.pendingTasks();
                        total += n;
                        most = Math.max(most, n);
                    }
                    samples.set(total, "all");
                    samples.set(most, "one_session_max");
                }, "of");
    }

    private static int kind(Element stanza) {
        return switch (stanza.name()) {
            case "message" -> 0;
            case "presence" -> 1;
            default -> 2;
        };
    }

    void in(Element stanza) {
        in[kind(stanza)].inc();
    }

    void out(Element stanza) {
        out[kind(stanza)].inc();
    }

    void close() {
        for (AutoCloseable g : new AutoCloseable[] {sessions, queues}) {
            try {
                g.close();
            } catch (Exception e) {
                LOG.debug("Closing a client stream gauge: {}", e.toString());
            }
        }
    }
}
