package dev.strata.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.jxmpp.jid.impl.JidCreate;

import dev.strata.itests.StrataServer.Result;

/**
 * XMPP over WebSocket (RFC 7395) and XEP-0156 host-meta on the assembled runtime: xmpp.js logs in
 * over ws:// and wss:// with its defaults, a WebSocket client and a TCP client (Smack) talk, and
 * every bad input gets its close status or stream error.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WebSocketIT {
    private static final Path JS = Path.of("src/test/js").toAbsolutePath();
    private static final String FRAMING = "urn:ietf:params:xml:ns:xmpp-framing";
    private static StrataServer server;
    private static HttpClient http;

    @BeforeAll
    static void start() throws Exception {
        Path home = StrataServer.freshHome("websocket-it", "alice", "bob");
        server = StrataServer.start(home, home.resolve("data"), Map.of());
        http = server.httpClient();
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) server.close();
    }

    private static String ws() {
        return "ws://127.0.0.1:" + server.httpPort + "/xmpp-websocket";
    }

    private static String wss() {
        return "wss://localhost:" + server.httpsPort + "/xmpp-websocket";
    }

    @Test
    void xmppJsLogsInOverPlainLoopbackAndTlsWebSockets() {
        assertThat(JS.resolve("node_modules/@xmpp/client")).as("npm ci --prefix itests/e2e/src/test/js (.ci/run does it)").exists();
        for (String service : List.of(ws(), wss())) {
            Result r = StrataServer.run(List.of("node", "--experimental-websocket", JS.resolve("xmppjs_client.mjs").toString(), service, "localhost",
                    "alice", "alice-Pw-1", "web", "2"), Map.of("NODE_EXTRA_CA_CERTS", server.data.resolve("certs/localhost.crt").toString()), Duration.ofSeconds(90));
            String out = r.out();
            assertThat(out).as("%s: %s", service, r).contains("DONE").doesNotContain("ERROR", "FAILED");
            // the same stream layer as TCP: SASL2, Bind 2, stream management inline, a FAST token and the login with it
            assertThat(out).containsSubsequence("AUTH SCRAM-SHA-1 initial-response,user-agent,bind,request-token", "SM true", "TOKEN yes", "ECHO hello 1",
                    "AUTH HT-SHA-256-NONE initial-response,user-agent,bind,fast", "ECHO hello 2");
        }
        assertThat(server.log()).contains("authenticated as alice@localhost with SCRAM-SHA-1 over SASL2 (websocket, no TLS, trusted)",
                "authenticated as alice@localhost with SCRAM-SHA-1 over SASL2 (websocket, TLSv1.3)", "\"GET /xmpp-websocket HTTP/1.1\" 101 0 \"node\"");
    }

    @Test
    void converseJsInChromiumTalksWithSlixmpp() throws Exception {
        Clients.converseTalksWithSlixmpp(server, "websocket", ws());
    }

    @Test
    void aWebSocketClientAndATcpClientTalk() throws Exception {
        try (Ws w = Ws.open(wss(), "xmpp")) {
            assertThat(w.send("<open xmlns='" + FRAMING + "' to='localhost' version='1.0'/>", "</stream:features>"))
                    .contains("<open xmlns='" + FRAMING + "'", "from=\"localhost\"", "<stream:features xmlns:stream='http://etherx.jabber.org/streams'>", "PLAIN")
                    .doesNotContain("starttls", "compression");
            String plain = Base64.getEncoder().encodeToString("\0bob\0bob-Pw-1".getBytes(StandardCharsets.UTF_8));
            assertThat(w.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + plain + "</auth>", "success")).contains("<success");
            // RFC 7395 §3.5: after SASL the client opens again; nothing is reset between messages
            assertThat(w.send("<open xmlns='" + FRAMING + "' to='localhost' version='1.0'/>", "</stream:features>")).contains("urn:ietf:params:xml:ns:xmpp-bind");
            assertThat(w.send("<iq xmlns='jabber:client' type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>ws</resource></bind></iq>",
                    "</iq>")).contains("bob@localhost/ws");
            w.send("<presence xmlns='jabber:client'/>", null);
            XMPPTCPConnection alice = Clients.smack(server, "alice", "alice-Pw-1", "tcp");
            try {
                BlockingQueue<String> got = new LinkedBlockingQueue<>();
                alice.addAsyncStanzaListener(s -> got.add(((Message) s).getBody()), s -> s instanceof Message m && m.getBody() != null);
                alice.sendStanza(alice.getStanzaFactory().buildMessageStanza().to(JidCreate.from("bob@localhost/ws")).setBody("over TCP").build());
                // every message is a document of its own: the stanza declares jabber:client (RFC 7395 §3.3.3)
                assertThat(w.next("over TCP")).contains("<message xmlns=\"jabber:client\"", "<body>over TCP</body>");
                w.send("<message xmlns='jabber:client' to='alice@localhost/tcp' type='chat'><body>over WebSocket</body></message>", null);
                assertThat(got.poll(10, TimeUnit.SECONDS)).isEqualTo("over WebSocket");
            } finally {
                alice.disconnect();
            }
            assertThat(server.ssh("session:list").out()).contains("bob@localhost/ws", "websocket");
            // RFC 7395 §3.6: our <close/> is answered with the server's, then the WebSocket closes normally
            assertThat(w.send("<close xmlns='" + FRAMING + "'/>", "<close")).contains("<close xmlns='" + FRAMING + "'/>");
            assertThat(w.closeCode()).isEqualTo(1000);
        }
    }

    @Test
    void badWebSocketInputGetsItsCloseStatusOrStreamError() throws Exception {
        // no xmpp subprotocol: not an XMPP stream (RFC 7395 §3.1)
        try (Ws w = Ws.open(ws(), "chat")) {
            assertThat(w.closeCode()).isEqualTo(1002);
            assertThat(w.closeReason()).contains("'xmpp' WebSocket subprotocol is required");
        }
        // the first message is not <open/>
        try (Ws w = Ws.open(ws(), "xmpp")) {
            assertThat(w.send("<message xmlns='jabber:client'/>", "</stream:error>")).contains("<open xmlns='" + FRAMING + "'", "<not-well-formed",
                    "The first message on an XMPP WebSocket is &lt;open");
            assertThat(w.next("<close")).isEqualTo("<close xmlns='" + FRAMING + "'/>");
            assertThat(w.closeCode()).isEqualTo(1000);
        }
        // a host this server does not serve
        try (Ws w = Ws.open(ws(), "xmpp")) {
            assertThat(w.send("<open xmlns='" + FRAMING + "' to='example.net' version='1.0'/>", "</stream:error>")).contains("<host-unknown");
        }
        // an element split over two messages (§3.3.3: each message is one whole element)
        try (Ws w = Ws.open(ws(), "xmpp")) {
            w.send("<open xmlns='" + FRAMING + "' to='localhost' version='1.0'/>", "</stream:features>");
            assertThat(w.send("<iq xmlns='jabber:client' type='get' id='x'>", "</stream:error>")).contains("<not-well-formed", "one whole XML element");
        }
        // binary messages are not XMPP (§3.2)
        try (Ws w = Ws.open(ws(), "xmpp")) {
            w.send("<open xmlns='" + FRAMING + "' to='localhost' version='1.0'/>", "</stream:features>");
            w.socket.sendBinary(ByteBuffer.wrap("<presence/>".getBytes(StandardCharsets.UTF_8)), true).join();
            assertThat(w.next("</stream:error>")).contains("text messages only");
        }
        // restricted XML is refused as on TCP
        try (Ws w = Ws.open(ws(), "xmpp")) {
            w.send("<open xmlns='" + FRAMING + "' to='localhost' version='1.0'/>", "</stream:features>");
            assertThat(w.send("<!-- hello -->", "</stream:error>")).contains("<restricted-xml");
        }
        assertThat(server.log()).doesNotContain("Exception in", "LEAK:");
    }

    @Test
    void hostMetaListsTheWebSocketAndBadHttpRequestsGetTheirStatus() throws Exception {
        HttpResponse<String> xrd = get("http://127.0.0.1:" + server.httpPort + "/.well-known/host-meta");
        assertThat(xrd.statusCode()).isEqualTo(200);
        assertThat(xrd.headers().firstValue("content-type")).hasValue("application/xrd+xml; charset=utf-8");
        assertThat(xrd.headers().firstValue("access-control-allow-origin")).hasValue("*");
        assertThat(xrd.body()).contains("<Link rel='urn:xmpp:alt-connections:websocket' href='ws://127.0.0.1:" + server.httpPort + "/xmpp-websocket'/>",
                "<Link rel='urn:xmpp:alt-connections:xbosh' href='http://127.0.0.1:" + server.httpPort + "/http-bind'/>");
        HttpResponse<String> jrd = get("https://localhost:" + server.httpsPort + "/.well-known/host-meta.json");
        assertThat(jrd.body()).isEqualTo("{\"links\":[{\"rel\":\"urn:xmpp:alt-connections:websocket\",\"href\":\"wss://localhost:" + server.httpsPort
                + "/xmpp-websocket\"},{\"rel\":\"urn:xmpp:alt-connections:xbosh\",\"href\":\"https://localhost:" + server.httpsPort + "/http-bind\"}]}");
        assertThat(jrd.headers().firstValue("x-content-type-options")).hasValue("nosniff");
        assertThat(jrd.headers().firstValue("x-frame-options")).hasValue("DENY");
        assertThat(get("http://127.0.0.1:" + server.httpPort + "/xmpp-websocket").statusCode()).isEqualTo(426);
        assertThat(get("http://127.0.0.1:" + server.httpPort + "/nothing/../../etc/passwd").statusCode()).isEqualTo(404);
        HttpResponse<String> big = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort + "/.well-known/host-meta"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[400_000])).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(big.statusCode()).isEqualTo(413);
        HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort + "/.well-known/host-meta"))
                .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
        // operations: liveness and readiness, from loopback (operations.allow)
        HttpResponse<String> health = get("http://127.0.0.1:" + server.httpPort + "/health");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).contains("\"status\":\"up\"");
        HttpResponse<String> ready = get("https://localhost:" + server.httpsPort + "/ready");
        assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
        assertThat(ready.body()).contains("\"status\":\"ready\"", "\"storage\":\"ok\"", "\"router\":\"ok\"", "\"modules\":\"ok\"");
    }

    @Test
    @Order(99) // last: it changes the server's policies
    void originAndLoopbackPoliciesApplyLive() throws Exception {
        try {
            assertThat(server.ssh("config:set strata.transport.http websocket.origins https://chat.example.org").exit()).isZero();
            StrataServer.await(Duration.ofSeconds(20), "the origin policy", () -> {
                try {
                    return Ws.handshakeStatus(ws(), "https://evil.example") == 403;
                } catch (Exception e) {
                    return false;
                }
            });
            assertThat(Ws.handshakeStatus(ws(), "https://chat.example.org")).isEqualTo(101);
            assertThat(server.ssh("config:set strata.transport.http trust.loopback false").exit()).isZero();
            StrataServer.await(Duration.ofSeconds(20), "the loopback policy", () -> {
                try (Ws w = Ws.open(ws(), "xmpp", "https://chat.example.org")) {
                    return w.send("<open xmlns='" + FRAMING + "' to='localhost' version='1.0'/>", "</stream:").contains("<policy-violation");
                } catch (Exception e) {
                    return false;
                }
            });
            // RFC 7395 §3.6.1: every new stream sent elsewhere, by policy
            assertThat(server.ssh("config:set strata.transport.http websocket.redirect wss://other.example/xmpp-websocket").exit()).isZero();
            StrataServer.await(Duration.ofSeconds(20), "the redirect", () -> {
                try (Ws w = Ws.open(wss(), "xmpp", "https://chat.example.org")) {
                    return w.send("<open xmlns='" + FRAMING + "' to='localhost' version='1.0'/>", "<close")
                            .contains("<close xmlns='" + FRAMING + "' see-other-uri=\"wss://other.example/xmpp-websocket\"/>");
                } catch (Exception e) {
                    return false;
                } catch (AssertionError e) {
                    return false;
                }
            });
            assertThat(server.ssh("config:set strata.transport.http websocket.redirect ''").exit()).isZero();
            // a client trickling its request is cut off at request.timeout, as an idle one is
            assertThat(server.ssh("config:set strata.transport.http request.timeout 2").exit()).isZero();
            StrataServer.await(Duration.ofSeconds(20), "the request timeout", () -> {
                try (java.net.Socket slow = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), server.httpPort)) {
                    slow.setSoTimeout(10_000);
                    long t0 = System.nanoTime();
                    for (int i = 0; i < 8 && !slow.isClosed(); i++) {
                        slow.getOutputStream().write("GET /xmpp-websocket HTTP/1.1\r\n".charAt(i));
                        Thread.sleep(500);
                    }
                    int read = slow.getInputStream().read(); // -1: closed by the server
                    return read == -1 && System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(8);
                } catch (java.net.SocketTimeoutException e) {
                    return false; // still open: the old timeout
                } catch (java.io.IOException e) {
                    return true; // reset by the server
                } catch (InterruptedException e) {
                    return false;
                }
            });
            // operations endpoints answer only the allowed addresses; anyone else gets 404
            assertThat(server.ssh("config:set strata.transport.http operations.allow 10.0.0.0/8").exit()).isZero();
            StrataServer.await(Duration.ofSeconds(20), "the operations allow-list", () -> {
                try {
                    return get("http://127.0.0.1:" + server.httpPort + "/ready").statusCode() == 404;
                } catch (Exception e) {
                    return false;
                }
            });
            // over TLS the same client logs in
            try (Ws w = Ws.open(wss(), "xmpp", "https://chat.example.org")) {
                assertThat(w.send("<open xmlns='" + FRAMING + "' to='localhost' version='1.0'/>", "</stream:features>")).contains("SCRAM-SHA-1");
            }
        } finally {
            server.ssh("config:set strata.transport.http websocket.origins ''");
            server.ssh("config:set strata.transport.http trust.loopback true");
            server.ssh("config:set strata.transport.http operations.allow 127.0.0.0/8");
            server.ssh("config:set strata.transport.http request.timeout 30");
            server.ssh("config:set strata.transport.http websocket.redirect ''");
        }
    }

    private static HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A WebSocket from the JDK's client: what the server sends, message by message, and how it closed. */
    static final class Ws implements WebSocket.Listener, AutoCloseable {
        private final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
        private final CompletableFuture<Integer> closed = new CompletableFuture<>();
        private final StringBuilder partial = new StringBuilder();
        private volatile String reason = "";
        WebSocket socket;

        static Ws open(String uri, String subprotocol) throws Exception {
            return open(uri, subprotocol, null);
        }

        static Ws open(String uri, String subprotocol, String origin) throws Exception {
            Ws w = new Ws();
            WebSocket.Builder b = http.newWebSocketBuilder().subprotocols(subprotocol).connectTimeout(Duration.ofSeconds(10));
            if (origin != null) b.header("Origin", origin);
            w.socket = b.buildAsync(URI.create(uri), w).get(20, TimeUnit.SECONDS);
            return w;
        }

        /** The HTTP status of a WebSocket handshake from {@code origin}: 101 when it opened. */
        static int handshakeStatus(String uri, String origin) throws Exception {
            try (Ws w = open(uri, "xmpp", origin)) {
                return 101;
            } catch (java.util.concurrent.ExecutionException e) {
                if (e.getCause() instanceof java.net.http.WebSocketHandshakeException h) return h.getResponse().statusCode();
                throw e;
            }
        }

        /** Sends one message; returns what came until a message containing {@code until} (null: returns at once). */
        String send(String message, String until) throws Exception {
            socket.sendText(message, true).get(10, TimeUnit.SECONDS);
            return until == null ? "" : next(until);
        }

        String next(String until) throws Exception {
            StringBuilder sb = new StringBuilder();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (System.nanoTime() < end) {
                String m = messages.poll(200, TimeUnit.MILLISECONDS);
                if (m == null) {
                    if (closed.isDone() && messages.isEmpty()) break;
                    continue;
                }
                sb.append(m);
                if (m.contains(until)) return sb.toString();
            }
            throw new AssertionError("no message with " + until + " came; got: " + sb + (closed.isDone() ? " (closed " + closed.getNow(0) + ")" : ""));
        }

        int closeCode() throws Exception {
            return closed.get(15, TimeUnit.SECONDS);
        }

        String closeReason() throws Exception {
            closed.get(15, TimeUnit.SECONDS);
            return reason;
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                messages.add(partial.toString());
                partial.setLength(0);
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int statusCode, String why) {
            reason = why;
            closed.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            closed.complete(-1);
        }

        @Override
        public void close() {
            try {
                if (!socket.isOutputClosed()) socket.sendClose(WebSocket.NORMAL_CLOSURE, "").get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                // gone already
            }
            socket.abort();
        }
    }
}
