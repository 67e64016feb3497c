package dev.strata.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.jxmpp.jid.impl.JidCreate;

import dev.strata.itests.StrataServer.Result;

/**
 * XMPP over BOSH (XEP-0124, XEP-0206) on the assembled runtime: Converse.js in headless Chromium
 * logs in over BOSH and chats with slixmpp; a raw client walks a session through creation, SASL,
 * restart, binding and messages with a TCP client, resends a request and gets the same answer, and
 * bad sids, rids and bodies get their terminal conditions.
 */
class BoshIT {
    private static final Path JS = Path.of("src/test/js").toAbsolutePath();
    private static final String NS = "http://jabber.org/protocol/httpbind";
    private static StrataServer server;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @BeforeAll
    static void start() throws Exception {
        Path home = StrataServer.freshHome("bosh-it", "alice", "bob", "carol");
        server = StrataServer.start(home, home.resolve("data"), Map.of());
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) server.close();
    }

    private static String url() {
        return "http://127.0.0.1:" + server.httpPort + "/http-bind";
    }

    private static String post(String body) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url())).timeout(Duration.ofSeconds(90)).header("Content-Type", "text/xml; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("%s", r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValue("text/xml; charset=utf-8");
        return r.body();
    }

    private static CompletableFuture<String> postAsync(String body) {
        return HTTP.sendAsync(HttpRequest.newBuilder(URI.create(url())).timeout(Duration.ofSeconds(90)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString()).thenApply(HttpResponse::body);
    }

    private static String attr(String xml, String name) {
        Matcher m = Pattern.compile(" " + Pattern.quote(name) + "=['\"]([^'\"]*)['\"]").matcher(xml);
        return m.find() ? m.group(1) : null;
    }

    @Test
    void converseJsInChromiumTalksWithSlixmppOverBosh() throws Exception {
        Clients.converseTalksWithSlixmpp(server, "bosh", url());
        assertThat(server.log()).containsPattern("authenticated as alice@localhost with SCRAM-SHA-\\d+ \\(bosh, no TLS, trusted\\)");
    }

    @Test
    void aRawSessionLogsInTalksResendsAndTerminates() throws Exception {
        long rid = 1_000_000;
        String created = post("<body xmlns='" + NS + "' xmlns:xmpp='urn:xmpp:xbosh' content='text/xml; charset=utf-8' to='localhost' rid='" + rid
                + "' hold='1' wait='5' xmpp:version='1.0' xml:lang='en'/>");
        // XEP-0124 §7.1: the session's attributes, and the stream features (XEP-0206 §4), in the creation answer
        assertThat(created).contains("sid=", "wait='5'", "hold='1'", "requests='2'", "inactivity=", "ver='1.11'", "xmpp:restartlogic='true'",
                "authid=", "<stream:features>", "PLAIN").doesNotContain("starttls", "<compression");
        String sid = attr(created, "sid");
        String plain = Base64.getEncoder().encodeToString("\0carol\0carol-Pw-1".getBytes(StandardCharsets.UTF_8));
        assertThat(post(body(++rid, sid, "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + plain + "</auth>"))).contains("<success");
        assertThat(post("<body xmlns='" + NS + "' xmlns:xmpp='urn:xmpp:xbosh' sid='" + sid + "' rid='" + (++rid) + "' to='localhost' xmpp:restart='true'/>"))
                .contains("urn:ietf:params:xml:ns:xmpp-bind");
        String bound = post(body(++rid, sid, "<iq xmlns='jabber:client' type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>web</resource></bind></iq>"));
        assertThat(bound).contains("carol@localhost/web");
        // §14.3: a request sent again gets the same answer
        assertThat(post(body(rid, sid, "<iq xmlns='jabber:client' type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>web</resource></bind></iq>")))
                .isEqualTo(bound);
        post(body(++rid, sid, "<presence xmlns='jabber:client'/>"));
        XMPPTCPConnection alice = Clients.smack(server, "alice", "alice-Pw-1", "tcp");
        try {
            CompletableFuture<String> got = new CompletableFuture<>();
            alice.addAsyncStanzaListener(s -> got.complete(((Message) s).getBody()), s -> s instanceof Message m && m.getBody() != null);
            // a held request is answered as soon as a message comes for the session
            CompletableFuture<String> waiting = postAsync(body(++rid, sid, ""));
            Thread.sleep(300);
            alice.sendStanza(alice.getStanzaFactory().buildMessageStanza().to(JidCreate.from("carol@localhost/web")).setBody("to BOSH").build());
            String held = waiting.get(10, TimeUnit.SECONDS);
            if (!held.contains("to BOSH")) held += post(body(++rid, sid, ""));
            assertThat(held).contains("<message xmlns=\"jabber:client\"", "<body>to BOSH</body>");
            // XEP-0206 §2: a stanza without a namespace is read as jabber:client
            post(body(++rid, sid, "<message to='alice@localhost/tcp' type='chat'><body>from BOSH</body></message>"));
            assertThat(got.get(10, TimeUnit.SECONDS)).isEqualTo("from BOSH");
        } finally {
            alice.disconnect();
        }
        assertThat(server.ssh("session:list").out()).contains("carol@localhost/web", "bosh");
        // a rid beyond the window ends nothing else but is refused
        String terminated = post("<body xmlns='" + NS + "' sid='" + sid + "' rid='" + (++rid) + "' type='terminate'><presence xmlns='jabber:client' type='unavailable'/></body>");
        assertThat(terminated).contains("type='terminate'").doesNotContain("condition=");
        assertThat(post(body(++rid, sid, ""))).contains("type='terminate'", "condition='item-not-found'");
    }

    @Test
    void badRequestsGetTheirTerminalConditions() throws Exception {
        assertThat(post(body(5, "no-such-session", ""))).contains("type='terminate'", "condition='item-not-found'");
        assertThat(post("<body xmlns='" + NS + "' rid='1'")).contains("condition='bad-request'");
        assertThat(post("<body xmlns='urn:example:wrong' rid='1' to='localhost'/>")).contains("condition='bad-request'");
        assertThat(post("<body xmlns='" + NS + "' rid='x' to='localhost'/>")).contains("condition='bad-request'");
        assertThat(post("<body xmlns='" + NS + "' rid='1'/>")).contains("condition='improper-addressing'");
        // XEP-0206 §7: a stream error ends the session with remote-stream-error, the error inside
        assertThat(post("<body xmlns='" + NS + "' xmlns:xmpp='urn:xmpp:xbosh' rid='10' to='example.net' wait='5' hold='1' xmpp:version='1.0'/>"))
                .contains("type='terminate'", "condition='remote-stream-error'", "<host-unknown");
        long rid = 50;
        String sid = attr(post("<body xmlns='" + NS + "' xmlns:xmpp='urn:xmpp:xbosh' rid='" + rid + "' to='localhost' wait='5' hold='1' xmpp:version='1.0'/>"), "sid");
        // §14.2: beyond the window of 'requests' rids
        assertThat(post(body(rid + 5, sid, ""))).contains("condition='item-not-found'");
        assertThat(post(body(rid + 1, sid, ""))).contains("condition='item-not-found'"); // the session is gone
        // the preflight a browser sends before its text/xml POST
        HttpResponse<String> preflight = HTTP.send(HttpRequest.newBuilder(URI.create(url())).method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", "https://chat.example.org").header("Access-Control-Request-Method", "POST").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(preflight.statusCode()).isEqualTo(204);
        assertThat(preflight.headers().firstValue("access-control-allow-origin")).hasValue("https://chat.example.org");
        assertThat(preflight.headers().firstValue("access-control-allow-headers")).hasValue("Content-Type");
    }

    private static String body(long rid, String sid, String content) {
        return "<body xmlns='" + NS + "' sid='" + sid + "' rid='" + rid + "'>" + content + "</body>";
    }
}
