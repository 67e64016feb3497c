package dev.strata.itests;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import dev.strata.bench.RawXmppClient;
import dev.strata.itests.StrataServer.Result;

/**
 * XEP-0388 SASL2 with XEP-0386 Bind 2 and XEP-0484 FAST against the assembled server: xmpp.js
 * (@xmpp/client 0.14 from npm, as it comes) logs in with SASL2 and back with its token, and a raw
 * client tries what a broken or hostile one would send.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Sasl2IT {
    private static final Path JS = Path.of("src/test/js").toAbsolutePath();
    private static final String HEADER = "<?xml version='1.0'?><stream:stream to='localhost' version='1.0' xmlns='jabber:client' "
            + "xmlns:stream='http://etherx.jabber.org/streams'>";
    private static final String SASL2 = "urn:xmpp:sasl:2";
    /** The features after a SASL2 success, in the streams namespace (no stream restart, so no stream: prefix declared anew). */
    private static final String FEATURES_AFTER_SUCCESS = "<features xmlns='http://etherx.jabber.org/streams'";
    private static final String PHONE = "4c5f4e2a-9d1b-4b7e-8f2a-0c3d5e6f7a8b";

    private StrataServer server;

    @BeforeAll
    void start() throws Exception {
        Path home = StrataServer.freshHome("sasl2-it");
        for (String u : List.of("alice", "bob", "carol")) assertThat(StrataServer.register(home, home.resolve("data"), u, "localhost", u + "-Pw-1").exit()).isZero();
        server = StrataServer.start(home, home.resolve("data"), Map.of());
        StrataServer.await(Duration.ofSeconds(30), "the generated certificate", () -> Files.exists(server.data.resolve("certs/localhost.crt")));
    }

    @AfterAll
    void stop() throws Exception {
        if (server != null) server.close();
    }

    @Test
    void xmppJsLogsInWithSasl2AndBind2AndComesBackWithItsFastToken() {
        assertThat(JS.resolve("node_modules/@xmpp/client")).as("npm ci --prefix itests/e2e/src/test/js (.ci/run does it)").exists();
        Result r = StrataServer.run(List.of("node", JS.resolve("xmppjs_client.mjs").toString(), "xmpp://localhost:" + server.c2sPort, "localhost",
                "alice", "alice-Pw-1", "web", "2"), Map.of("NODE_EXTRA_CA_CERTS", server.data.resolve("certs/localhost.crt").toString()), Duration.ofSeconds(90));
        String out = r.out();
        assertThat(out).as("%s", r).contains("DONE").doesNotContain("ERROR", "FAILED");
        // first login: the password over SASL2, asking for a token; the second: the token, one round trip
        assertThat(out).containsSubsequence("AUTH SCRAM-SHA-1 initial-response,user-agent,bind,request-token", "TOKEN yes", "ECHO hello 1",
                "AUTH HT-SHA-256-NONE initial-response,user-agent,bind,fast", "ECHO hello 2");
        assertThat(out).doesNotContain("AUTH-RFC6120");
        List<String> jids = Pattern.compile("ONLINE (\\S+)").matcher(out).results().map(m -> m.group(1)).toList();
        assertThat(jids).as("Bind 2 gives the same client (user-agent id and tag) the same resource").hasSize(2).containsOnly(jids.get(0));
        assertThat(jids.get(0)).startsWith("alice@localhost/web/");
        assertThat(out).contains("SM true");
        assertThat(server.log()).contains("authenticated as alice@localhost with SCRAM-SHA-1 over SASL2", "authenticated as alice@localhost with HT-SHA-256-NONE over SASL2");
        assertThat(server.ssh("user:devices alice@localhost").out()).contains("HT-SHA-256-NONE");
    }

    @Test
    void badRequestsGetClearFailuresAndTheStreamCanStillLogIn() throws Exception {
        try (Wire w = new Wire(server.c2sTlsPort)) {
            String features = w.features;
            assertThat(features).contains("<authentication xmlns='" + SASL2 + "'", "<bind xmlns='urn:xmpp:bind:0'", "<feature var='urn:xmpp:sm:3'",
                    "<feature var='urn:xmpp:carbons:2'", "<feature var='urn:xmpp:csi:0'", "<sm xmlns='urn:xmpp:sm:3'", "<fast xmlns='urn:xmpp:fast:0'",
                    "HT-SHA-256-NONE");
            assertThat(w.send("<authenticate xmlns='" + SASL2 + "' mechanism='BLURDYBLOOP'><initial-response>AA==</initial-response></authenticate>", "</failure>"))
                    .contains("<invalid-mechanism", "Offered:");
            assertThat(w.send(authenticate(plain("bob"), "<user-agent id='my-phone'/>"), "</failure>"))
                    .contains("<malformed-request", "must be a UUID");
            // a good login: Bind 2 with stream management and carbons inline, an unknown inline feature ignored, a token asked for
            String success = w.send(authenticate(plain("bob"), "<user-agent id='" + PHONE + "'><software>raw</software></user-agent>"
                    + "<bind xmlns='urn:xmpp:bind:0'><tag>raw</tag><enable xmlns='urn:xmpp:sm:3' resume='true'/><enable xmlns='urn:xmpp:carbons:2'/>"
                    + "<whatever xmlns='urn:example:not-offered'/></bind><request-token xmlns='urn:xmpp:fast:0' mechanism='HT-SHA-256-NONE'/>"), FEATURES_AFTER_SUCCESS);
            assertThat(success).contains("<success xmlns='" + SASL2 + "'", "<authorization-identifier>bob@localhost/raw/", "<bound xmlns='urn:xmpp:bind:0'>",
                    "<enabled xmlns='urn:xmpp:sm:3'", "resume='true'", "<token xmlns='urn:xmpp:fast:0'");
            assertThat(success.indexOf("</success>")).as("the features of the bound stream follow the success").isLessThan(success.indexOf(FEATURES_AFTER_SUCCESS));
            String token = attr(success, "token", "token");
            assertThat(w.send("<iq type='get' id='p1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>", "'p1'")).contains("type='result'", "id='p1'");

            // the token from another device is refused; from its own, it logs in; revoked, it is credentials-expired, and a password still works
            try (Wire other = new Wire(server.c2sTlsPort)) {
                assertThat(other.send(authenticate("HT-SHA-256-NONE", RawXmppClient.hashedToken("bob", token), "<user-agent id='0e1f2b40-0000-4000-8000-000000000000'/>"
                        + "<fast xmlns='urn:xmpp:fast:0'/>"), "</failure>")).contains("<credentials-expired", "<text");
                assertThat(other.send(authenticate("HT-SHA-256-NONE", RawXmppClient.hashedToken("bob", token), "<user-agent id='" + PHONE + "'/><fast xmlns='urn:xmpp:fast:0'/>"),
                        "</success>")).contains("<success", "<additional-data>" + Base64.getEncoder().encodeToString(RawXmppClient.hmac(token, "Responder")) + "<");
            }
            assertThat(server.ssh("user:revoke bob@localhost " + PHONE).out()).contains("Revoked");
            try (Wire again = new Wire(server.c2sTlsPort)) {
                assertThat(again.send(authenticate("HT-SHA-256-NONE", RawXmppClient.hashedToken("bob", token), "<user-agent id='" + PHONE + "'/><fast xmlns='urn:xmpp:fast:0'/>"),
                        "</failure>")).contains("<credentials-expired", "revoked");
                assertThat(again.send(authenticate(plain("bob"), ""), "</success>")).contains("<authorization-identifier>bob@localhost<");
            }
        }
    }

    @Test
    void aSasl2LoginResumesAStreamManagementSessionInline() throws Exception {
        String previd;
        try (Wire w = new Wire(server.c2sTlsPort)) {
            String success = w.send(authenticate(plain("alice"), "<bind xmlns='urn:xmpp:bind:0'><tag>resumer</tag><enable xmlns='urn:xmpp:sm:3' resume='true'/></bind>"),
                    FEATURES_AFTER_SUCCESS);
            previd = attr(success, "enabled", "id");
            w.socket.setSoLinger(true, 0); // the connection is lost, not closed: the session waits to be resumed
        }
        try (Wire w = new Wire(server.c2sTlsPort)) {
            String success = w.send(authenticate(plain("alice"), "<resume xmlns='urn:xmpp:sm:3' previd='" + previd + "' h='0'/>"
                    + "<bind xmlns='urn:xmpp:bind:0'><tag>ignored</tag></bind>"), FEATURES_AFTER_SUCCESS);
            assertThat(success).contains("<resumed xmlns='urn:xmpp:sm:3'", "previd='" + previd + "'", "<authorization-identifier>alice@localhost/resumer/")
                    .as("a resumed session is not bound again (XEP-0386 §3)").doesNotContain("<bound");
        }
    }

    /**
     * XEP-0386 §3 with XEP-0313: {@code <bound/>} carries the archive's {@code <metadata/>}, and the
     * offline messages the archive holds are not sent again at initial presence (the client
     * synchronises from the archive); one the archive does not hold (a stranger's, under the
     * default "roster" policy) still is. A session bound the RFC 6120 way gets everything.
     */
    @Test
    void bind2GivesTheArchiveMetadataAndLeavesArchivedOfflineMessagesToTheArchive() throws Exception {
        try (Wire w = new Wire(server.c2sTlsPort)) {
            w.send(authenticate(plain("carol"), "<bind xmlns='urn:xmpp:bind:0'><tag>setup</tag></bind>"), FEATURES_AFTER_SUCCESS);
            w.send("<iq type='set' id='r1'><query xmlns='jabber:iq:roster'><item jid='bob@localhost'/></query></iq>", "id='r1'");
            w.send("</stream:stream>", "</stream:stream>");
        }
        for (String[] from : new String[][] {{"bob", "archived one"}, {"bob", "archived two"}, {"alice", "from a stranger"}}) {
            try (Wire w = new Wire(server.c2sTlsPort)) {
                w.send(authenticate(plain(from[0]), "<bind xmlns='urn:xmpp:bind:0'><tag>sender</tag></bind>"), FEATURES_AFTER_SUCCESS);
                w.send("<message to='carol@localhost' type='chat' id='m'><body>" + from[1] + "</body></message>"
                        + "<iq type='get' id='p1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>", "id='p1'");
                w.send("</stream:stream>", "</stream:stream>");
            }
        }
        try (Wire w = new Wire(server.c2sTlsPort)) {
            String success = w.send(authenticate(plain("carol"), "<bind xmlns='urn:xmpp:bind:0'><tag>phone</tag></bind>"), FEATURES_AFTER_SUCCESS);
            assertThat(success).contains("<bound xmlns='urn:xmpp:bind:0'>", "<metadata xmlns='urn:xmpp:mam:2'>", "<start id='", "<end id='");
            String got = w.send("<presence/><iq type='get' id='p2' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>", "id='p2'");
            assertThat(got).as("what the archive lacks is delivered").contains("from a stranger").doesNotContain("archived one", "archived two");
            String page = w.send("<iq type='set' id='q1'><query xmlns='urn:xmpp:mam:2' queryid='f'/></iq>", "id='q1'");
            assertThat(page).as("the rest is in the archive").contains("archived one", "archived two");
            assertThat(attr(success, "end", "id")).as("the newest entry at binding").isEqualTo(lastResultId(page));
        }
        // the same messages again, now for a client that binds the RFC 6120 way: it gets them all
        for (String body : List.of("archived three", "archived four")) {
            try (Wire w = new Wire(server.c2sTlsPort)) {
                w.send(authenticate(plain("bob"), "<bind xmlns='urn:xmpp:bind:0'><tag>sender</tag></bind>"), FEATURES_AFTER_SUCCESS);
                w.send("<message to='carol@localhost' type='chat'><body>" + body + "</body></message>"
                        + "<iq type='get' id='p1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>", "id='p1'");
                w.send("</stream:stream>", "</stream:stream>");
            }
        }
        try (Wire w = new Wire(server.c2sTlsPort)) {
            w.send(authenticate(plain("carol"), ""), FEATURES_AFTER_SUCCESS);
            w.send("<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>old</resource></bind></iq>", "id='b1'");
            String got = w.send("<presence/><iq type='get' id='p3' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>", "id='p3'");
            assertThat(got).contains("archived three", "archived four");
        }
    }

    /** The archive id of the last {@code <result/>} of a MAM page. */
    private static String lastResultId(String page) {
        Matcher m = Pattern.compile("<result [^>]*\\bid='([^']*)'").matcher(page);
        String last = null;
        while (m.find()) last = m.group(1);
        assertThat(last).as("a result in %s", page).isNotNull();
        return last;
    }

    /** The inline lists are the whiteboard's: a module unloaded is no longer offered inline, and comes back with its bundle. */
    @Test
    void unloadingAModuleTakesItOutOfTheInlineLists() throws Exception {
        try {
            assertThat(server.ssh("module:unload xep-0280-carbons").exit()).isZero();
            assertThat(server.ssh("module:unload xep-0484-fast").exit()).isZero();
            try (Wire w = new Wire(server.c2sTlsPort)) {
                assertThat(w.features).contains("<feature var='urn:xmpp:sm:3'").doesNotContain("urn:xmpp:carbons:2", "urn:xmpp:fast:0");
                // a client that still asks for them logs in; what is not offered is ignored (XEP-0386 §3)
                assertThat(w.send(authenticate(plain("bob"), "<user-agent id='" + PHONE + "'/><bind xmlns='urn:xmpp:bind:0'><enable xmlns='urn:xmpp:carbons:2'/></bind>"),
                        FEATURES_AFTER_SUCCESS)).contains("<success", "<bound");
            }
        } finally {
            assertThat(server.ssh("module:load xep-0280-carbons").exit()).isZero();
            assertThat(server.ssh("module:load xep-0484-fast").exit()).isZero();
        }
        StrataServer.await(Duration.ofSeconds(20), "carbons and FAST offered inline again", () -> {
            try (Wire w = new Wire(server.c2sTlsPort)) {
                return w.features.contains("<feature var='urn:xmpp:carbons:2'") && w.features.contains("<fast xmlns='urn:xmpp:fast:0'");
            } catch (Exception e) {
                return false;
            }
        });
    }

    private static String plain(String user) {
        return "PLAIN' ir='" + Base64.getEncoder().encodeToString(("\0" + user + "\0" + user + "-Pw-1").getBytes(UTF_8));
    }

    /** {@code mechanismAndIr} is "MECH' ir='BASE64" from {@link #plain}. */
    private static String authenticate(String mechanismAndIr, String children) {
        int i = mechanismAndIr.indexOf("' ir='");
        return authenticate(mechanismAndIr.substring(0, i), mechanismAndIr.substring(i + 6), children);
    }

    private static String authenticate(String mechanism, String initialResponse, String children) {
        return "<authenticate xmlns='" + SASL2 + "' mechanism='" + mechanism + "'><initial-response>" + initialResponse + "</initial-response>" + children + "</authenticate>";
    }

    private static String attr(String xml, String element, String attribute) {
        Matcher m = Pattern.compile("<" + element + "\\b[^>]*\\b" + attribute + "='([^']*)'").matcher(xml);
        assertThat(m.find()).as("<%s %s=...> in %s", element, attribute, xml).isTrue();
        return m.group(1);
    }

    /** A direct TLS connection (XEP-0368) with its stream opened and the features read. */
    private static final class Wire implements AutoCloseable {
        final SSLSocket socket;
        final String features;

        Wire(int port) throws Exception {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[] {RawXmppClient.TRUST_ALL_CERTIFICATES}, null);
            socket = (SSLSocket) ctx.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), port);
            socket.setSoTimeout(20_000);
            features = send(HEADER, "</stream:features>");
        }

        String send(String xml, String until) throws IOException {
            socket.getOutputStream().write(xml.getBytes(UTF_8));
            socket.getOutputStream().flush();
            StringBuilder sb = new StringBuilder();
            InputStream in = socket.getInputStream();
            byte[] buf = new byte[8192];
            while (!sb.toString().replace('"', '\'').contains(until) && !sb.toString().contains("</stream:stream>")) {
                int n = in.read(buf);
                if (n < 0) break;
                sb.append(new String(buf, 0, n, UTF_8));
            }
            return sb.toString().replace('"', '\''); // the server quotes with ", these tests with '
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
