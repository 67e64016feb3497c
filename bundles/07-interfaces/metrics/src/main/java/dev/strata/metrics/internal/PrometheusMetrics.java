package dev.strata.metrics.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Hashtable;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.http.HttpEndpoint;
import dev.strata.api.http.HttpExchange;
import dev.strata.api.metrics.Metrics;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;

/**
 * The {@link Metrics} of the server on the Prometheus Java client, with the JVM's own (memory, GC,
 * threads, classes, CPU), served at {@code /metrics} on the HTTP listeners in the Prometheus text
 * format or OpenMetrics (as the scraper's {@code Accept} asks). The endpoint is an operations one:
 * only the addresses of {@code strata.transport.http operations.allow} (loopback by default) reach
 * it, everyone else gets 404, as for {@code /health} and {@code /ready}.
 *
 * <p>The registry lives as long as this component: a reload of the metrics module starts the
 * counts again from zero (Prometheus copes with a counter reset), and the modules recording into
 * it get the new service through their dynamic references.
 */
@Component(service = Metrics.class, immediate = true)
public final class PrometheusMetrics implements Metrics {
    private static final Logger LOG = LoggerFactory.getLogger(PrometheusMetrics.class);
    static final String PATH = "/metrics";
    /** Duration buckets: 100 µs to 10 s. No exemplars: there is no tracer, and sampling them cost each observation time. */
    private static final double[] BUCKETS = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10};

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final ExpositionFormats formats = ExpositionFormats.init();
    private final Map<String, Object> metrics = new ConcurrentHashMap<>();
    private final ServiceRegistration<HttpEndpoint> endpoint;

    @Activate
    public PrometheusMetrics(BundleContext context) {
        JvmMetrics.builder().register(registry);
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(HttpEndpoint.PATH, PATH);
        props.put(HttpEndpoint.OPERATIONS, Boolean.TRUE);
        endpoint = context.registerService(HttpEndpoint.class, this::scrape, props);
    }

    /** A registry of its own, with nothing registered at the HTTP listeners (tests). */
    PrometheusMetrics() {
        endpoint = null;
    }

    @Deactivate
    void deactivate() {
        try {
            endpoint.unregister();
        } catch (IllegalStateException e) {
            // the bundle is stopping and took it already
        }
    }

    @Override
    public Counter counter(String name, String help, String... labelNames) {
        io.prometheus.metrics.core.metrics.Counter c = existing(name, io.prometheus.metrics.core.metrics.Counter.class,
                () -> io.prometheus.metrics.core.metrics.Counter.builder().name(name).help(help).labelNames(labelNames).withoutExemplars().register(registry));
        return values -> {
            var point = c.labelValues(values);
            return new Counter.Child() {
                @Override
                public void inc() {
                    point.inc();
                }

                @Override
                public void inc(long n) {
                    point.inc(n);
                }
            };
        };
    }

    @Override
    public Histogram histogram(String name, String help, String... labelNames) {
        io.prometheus.metrics.core.metrics.Histogram h = existing(name, io.prometheus.metrics.core.metrics.Histogram.class,
                () -> io.prometheus.metrics.core.metrics.Histogram.builder().name(name).help(help).labelNames(labelNames).withoutExemplars().classicOnly()
                        .classicUpperBounds(BUCKETS).register(registry));
        return values -> {
            var point = h.labelValues(values);
            return point::observe;
        };
    }

    @Override
    public AutoCloseable gauge(String name, String help, Consumer<Samples> collect, String... labelNames) {
        GaugeWithCallback g = GaugeWithCallback.builder().name(name).help(help).labelNames(labelNames)
                .callback(cb -> collect.accept((value, labels) -> cb.call(value, labels))).build();
        synchronized (metrics) {
            Object earlier = metrics.put(name, g);
            if (earlier instanceof Collector c) registry.unregister(c); // a module reloaded before it closed its gauge
            registry.register(g);
        }
        return () -> {
            synchronized (metrics) {
                if (metrics.remove(name, g)) registry.unregister(g);
            }
        };
    }

    @Override
    public Map<Map<String, String>, Double> read(String name) {
        Object m = metrics.get(name);
        if (!(m instanceof Collector c)) return Map.of();
        Map<Map<String, String>, Double> values = new java.util.LinkedHashMap<>();
        switch (c.collect()) {
            case CounterSnapshot counter -> counter.getDataPoints().forEach(p -> values.put(labels(p.getLabels()), p.getValue()));
            case GaugeSnapshot gauge -> gauge.getDataPoints().forEach(p -> values.put(labels(p.getLabels()), p.getValue()));
            case HistogramSnapshot histogram -> histogram.getDataPoints().forEach(p -> values.put(labels(p.getLabels()), (double) p.getCount()));
            default -> { }
        }
        return values;
    }

    private static Map<String, String> labels(Labels labels) {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < labels.size(); i++) m.put(labels.getName(i), labels.getValue(i));
        return m;
    }

    @SuppressWarnings("unchecked")
    private <T> T existing(String name, Class<T> type, java.util.function.Supplier<T> make) {
        synchronized (metrics) {
            Object m = metrics.get(name);
            if (m == null) {
                m = make.get();
                metrics.put(name, m);
            } else if (!type.isInstance(m)) {
                throw new IllegalArgumentException("The metric " + name + " exists already as a " + m.getClass().getSimpleName());
            }
            return (T) m;
        }
    }

    /** What a scrape answers: the format the {@code Accept} header asks for, and its body. */
    record Scrape(String contentType, byte[] body) {
    }

    Scrape scrape(String accept) throws IOException {
        ExpositionFormatWriter writer = formats.findWriter(accept);
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 * 1024);
        writer.write(out, registry.scrape());
        return new Scrape(writer.getContentType(), out.toByteArray());
    }

    private void scrape(HttpExchange ex) throws IOException {
        if (!ex.method().equals("GET") && !ex.method().equals("HEAD")) {
            ex.respond(405, Map.of("Allow", "GET, HEAD", "Content-Type", "text/plain; charset=utf-8"), "Only GET and HEAD here\n".getBytes());
            return;
        }
        if (!ex.path().equals(PATH)) {
            ex.respond(404, Map.of("Content-Type", "text/plain; charset=utf-8"), "Not found\n".getBytes());
            return;
        }
        Scrape s = scrape(ex.header("Accept").orElse(null));
        ex.respond(200, Map.of("Content-Type", s.contentType()), s.body());
        LOG.debug("Metrics scraped by {}", ex.remoteAddress());
    }
}
