package dev.strata.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.jxmpp.jid.impl.JidCreate;

import dev.strata.api.auth.ScramHash;
import dev.strata.bench.RawXmppClient;

/**
 * Prometheus metrics at {@code /metrics} on the assembled runtime: what clients do shows in the
 * counters, Prometheus' own checker ({@code promtool check metrics}, Debian's prometheus package)
 * accepts the page, only operators' addresses reach it, and the metrics module unloads and loads
 * live while clients chat.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MetricsIT {
    private static StrataServer server;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @BeforeAll
    static void start() throws Exception {
        Path home = StrataServer.freshHome("metrics-it", "alice", "bob");
        server = StrataServer.start(home, home.resolve("data"), Map.of());
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) server.close();
    }

    private static HttpResponse<String> metrics(String accept) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort + "/metrics")).timeout(Duration.ofSeconds(10));
        if (accept != null) b.header("Accept", accept);
        return HTTP.send(b.GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The value of one sample line (name with its labels as printed), or -1 when absent. */
    static double sample(String page, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " ([0-9.eE+-]+)").matcher(page);
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }

    @Test
    @Order(1)
    void whatClientsDoShowsInTheCounters() throws Exception {
        XMPPTCPConnection alice = Clients.smack(server, "alice", "alice-Pw-1", "m");
        XMPPTCPConnection bob = Clients.smack(server, "bob", "bob-Pw-1", "m");
        try {
            BlockingQueue<String> got = new LinkedBlockingQueue<>();
            // a synchronous listener: Smack calls asynchronous ones concurrently, out of order
            bob.addSyncStanzaListener(s -> got.add(((Message) s).getBody()), s -> s instanceof Message m && m.getBody() != null);
            for (int i = 0; i < 5; i++) {
                alice.sendStanza(alice.getStanzaFactory().buildMessageStanza().to(JidCreate.from("bob@localhost/m")).setBody("m" + i).build());
            }
            for (int i = 0; i < 5; i++) assertThat(got.poll(10, TimeUnit.SECONDS)).isEqualTo("m" + i);
            try (RawXmppClient.Login bad = RawXmppClient.authenticate(server.c2sPort, false, "bob", "wrong", ScramHash.SHA_256, null)) {
                assertThat(bad.success()).isFalse();
            }
            HttpResponse<String> r = metrics(null);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/plain; version=0.0.4");
            String page = r.body();
            assertThat(sample(page, "strata_logins_total{mechanism=\"SCRAM-SHA-1\",result=\"success\"}")).as(page).isGreaterThanOrEqualTo(2);
            assertThat(sample(page, "strata_logins_total{mechanism=\"SCRAM-SHA-256\",result=\"failure\"}")).isEqualTo(1);
            assertThat(sample(page, "strata_client_stanzas_total{direction=\"in\",kind=\"message\"}")).isGreaterThanOrEqualTo(5);
            assertThat(sample(page, "strata_client_stanzas_total{direction=\"out\",kind=\"message\"}")).isGreaterThanOrEqualTo(5);
            assertThat(sample(page, "strata_routing_seconds_count{kind=\"message\"}")).isGreaterThanOrEqualTo(5);
            assertThat(sample(page, "strata_storage_seconds_count{operation=\"read\"}")).isPositive();
            assertThat(sample(page, "strata_sessions{transport=\"tcp\"}")).isEqualTo(2);
            assertThat(sample(page, "strata_connections{kind=\"c2s\"}")).isEqualTo(2);
            assertThat(sample(page, "strata_session_tasks_pending{of=\"all\"}")).isGreaterThanOrEqualTo(0);
            assertThat(sample(page, "strata_session_tasks_pending{of=\"one_session_max\"}")).isGreaterThanOrEqualTo(0);
            assertThat(page).contains("# TYPE strata_routing_seconds histogram", "strata_routing_seconds_bucket{kind=\"message\",le=\"+Inf\"}",
                    "jvm_memory_used_bytes{area=\"heap\"}", "jvm_threads_current", "process_cpu_seconds_total");
            // OpenMetrics for a scraper that asks for it
            HttpResponse<String> om = metrics("application/openmetrics-text; version=1.0.0; charset=utf-8");
            assertThat(om.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/openmetrics-text");
            assertThat(om.body()).endsWith("# EOF\n");
        } finally {
            alice.disconnect();
            bob.disconnect();
        }
    }

    @Test
    @Order(2)
    void promtoolAcceptsThePage() throws Exception {
        Path promtool = Path.of("/usr/bin/promtool");
        assertThat(promtool).as("Debian's prometheus package (.ci/run installs it)").exists();
        Path page = StrataServer.WORK.resolve("metrics-it.txt");
        Files.writeString(page, metrics(null).body());
        StrataServer.Result r = StrataServer.run(List.of("sh", "-c", promtool + " check metrics < " + page), Map.of(), Duration.ofSeconds(30));
        assertThat(r.exit()).as("%s", r).isZero();
    }

    @Test
    @Order(3)
    void theMetricsModuleUnloadsAndLoadsLiveWhileClientsChat() throws Exception {
        XMPPTCPConnection alice = Clients.smack(server, "alice", "alice-Pw-1", "live");
        try {
            assertThat(server.ssh("module:unload metrics").exit()).isZero();
            StrataServer.await(Duration.ofSeconds(20), "/metrics gone", () -> status() == 404);
            // recording goes nowhere meanwhile, and nothing else notices
            alice.sendStanza(alice.getStanzaFactory().buildMessageStanza().to(JidCreate.from("alice@localhost/live")).setBody("still here").build());
            assertThat(server.ssh("module:load metrics").exit()).isZero();
            StrataServer.await(Duration.ofSeconds(20), "/metrics back", () -> status() == 200);
            assertThat(alice.isAuthenticated()).isTrue();
            // the modules record into the new registry
            String page = metrics(null).body();
            assertThat(sample(page, "strata_sessions{transport=\"tcp\"}")).isEqualTo(1);
            assertThat(sample(page, "strata_connections{kind=\"c2s\"}")).isEqualTo(1);
        } finally {
            alice.disconnect();
        }
    }

    /**
     * RFC 8446 §4.6.1 session tickets: a client that reconnects resumes its TLS session (no
     * certificate sent or checked), which the handshake counter tells apart, and channel binding
     * still works on the resumed session (tls-server-end-point hashes the certificate of the
     * session, tls-exporter comes from the new key schedule).
     */
    @Test
    @Order(4)
    void aReconnectingClientResumesItsTlsSessionAndStillBindsSaslToIt() throws Exception {
        double before = Math.max(0, sample(metrics(null).body(), "strata_tls_handshakes_total{kind=\"resumed\"}"));
        for (String binding : List.of("tls-server-end-point", "tls-exporter", "tls-server-end-point")) {
            for (boolean direct : new boolean[] {true, false}) {
                try (RawXmppClient.Login l = RawXmppClient.login(direct ? server.c2sTlsPort : server.c2sPort, direct, "alice", "alice-Pw-1",
                        ScramHash.SHA_256, binding)) {
                    assertThat(l.success()).as("%s, %s: %s", binding, direct, l.transcript()).isTrue();
                }
            }
        }
        String page = metrics(null).body();
        assertThat(sample(page, "strata_tls_handshakes_total{kind=\"resumed\"}") - before).as(page).isGreaterThanOrEqualTo(4);
        assertThat(sample(page, "strata_tls_handshakes_total{kind=\"full\"}")).isPositive();
    }

    @Test
    @Order(99) // last: it changes a policy
    void onlyOperatorsAddressesReachIt() throws Exception {
        try {
            assertThat(server.ssh("config:set strata.transport.http operations.allow 10.0.0.0/8").exit()).isZero();
            StrataServer.await(Duration.ofSeconds(20), "the operations allow-list", () -> status() == 404);
        } finally {
            server.ssh("config:set strata.transport.http operations.allow 127.0.0.0/8");
        }
    }

    private static int status() {
        try {
            return metrics(null).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }
}
