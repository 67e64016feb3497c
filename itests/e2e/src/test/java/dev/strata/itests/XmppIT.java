package dev.strata.itests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

import org.jivesoftware.smack.ConnectionConfiguration.SecurityMode;
import org.jivesoftware.smack.ConnectionListener;
import org.jivesoftware.smack.SmackConfiguration;
import org.jivesoftware.smack.StanzaCollector;
import org.jivesoftware.smack.XMPPConnection;
import org.jivesoftware.smack.XMPPException;
import org.jivesoftware.smack.filter.AndFilter;
import org.jivesoftware.smack.filter.MessageWithBodiesFilter;
import org.jivesoftware.smack.filter.StanzaTypeFilter;
import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.StanzaBuilder;
import org.jivesoftware.smack.sasl.SASLErrorException;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smack.tcp.XMPPTCPConnectionConfiguration;
import org.jivesoftware.smackx.caps.EntityCapsManager;
import org.jivesoftware.smackx.disco.ServiceDiscoveryManager;
import org.jivesoftware.smackx.ping.packet.Ping;
import org.jxmpp.jid.impl.JidCreate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import dev.strata.api.auth.ScramHash;
import dev.strata.bench.RawXmppClient;
import dev.strata.itests.StrataServer.Result;

/**
 * Client connections (RFC 6120 §4–7) with real clients over real sockets: slixmpp (Debian's
 * python3-slixmpp) and Smack, each over STARTTLS and direct TLS (XEP-0368), authenticating with
 * SCRAM, binding, pinging the server (XEP-0199) and reading its disco#info (XEP-0030); and the
 * attacks a server must survive.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class XmppIT {
    private static final Path PYTHON_CLIENT = Path.of("src/test/python/slix_client.py").toAbsolutePath();
    private static final String STREAM_OPEN = "<?xml version='1.0'?><stream:stream to='localhost' version='1.0' xmlns='jabber:client' "
            + "xmlns:stream='http://etherx.jabber.org/streams'>";

    private StrataServer server;
    private SSLContext trust;
    private X509TrustManager trustManager;

    @BeforeAll
    void start() throws Exception {
        Path home = StrataServer.freshHome("xmpp-it");
        assertThat(StrataServer.register(home, home.resolve("data"), "alice", "localhost", "Alice-pw-1").exit()).isZero();
        assertThat(StrataServer.register(home, home.resolve("data"), "bob", "localhost", "Bob-pw-1").exit()).isZero();
        server = StrataServer.start(home, home.resolve("data"), Map.of());
        Path cert = server.data.resolve("certs/localhost.crt");
        StrataServer.await(Duration.ofSeconds(30), "the generated certificate", () -> Files.exists(cert));
        TrustManagerFactory tmf = StrataServer.trusting(cert);
        trustManager = (X509TrustManager) tmf.getTrustManagers()[0];
        trust = SSLContext.getInstance("TLS");
        trust.init(null, tmf.getTrustManagers(), null);
        SmackConfiguration.setDefaultReplyTimeout(15_000);
    }

    @AfterAll
    void stop() throws Exception {
        if (server != null) server.close();
    }

    private XMPPTCPConnection smack(String user, String password, String resource, boolean directTls) throws Exception {
        return smack(user, password, resource, directTls, false);
    }

    private XMPPTCPConnection smack(String user, String password, String resource, boolean directTls, boolean compression) throws Exception {
        XMPPTCPConnectionConfiguration.Builder b = XMPPTCPConnectionConfiguration.builder().setCompressionEnabled(compression)
                .setXmppDomain("localhost").setHostAddress(InetAddress.getLoopbackAddress())
                .setUsernameAndPassword(user, password).setResource(resource).setCustomX509TrustManager(trustManager);
        if (directTls) {
            b.setPort(server.c2sTlsPort).setSocketFactory(trust.getSocketFactory()).setSecurityMode(SecurityMode.disabled);
        } else {
            b.setPort(server.c2sPort).setSecurityMode(SecurityMode.required);
        }
        XMPPTCPConnection c = new XMPPTCPConnection(b.build());
        c.connect().login();
        return c;
    }

    private Result slixmpp(String jid, String password, boolean directTls) {
        return StrataServer.run(List.of("/usr/bin/python3", PYTHON_CLIENT.toString(), jid, password,
                Integer.toString(directTls ? server.c2sTlsPort : server.c2sPort), directTls ? "direct" : "starttls", "SCRAM-SHA-256", "--no-cb"),
                Map.of(), Duration.ofSeconds(60));
    }

    @Test
    void slixmppLogsInPingsAndReadsDiscoOverStartTlsAndDirectTls() {
        for (boolean direct : new boolean[] {false, true}) {
            Result r = slixmpp("alice@localhost/slix" + direct, "Alice-pw-1", direct);
            assertThat(r.out()).as("%s", r).contains("BOUND alice@localhost/slix" + direct, "TLS TLSv1.3", "PING ", "DONE")
                    .containsPattern("FEATURES .*http://jabber.org/protocol/disco#info.*urn:xmpp:ping");
        }
        assertThat(server.log()).contains("authenticated as alice@localhost with SCRAM-SHA-256 (TLSv1.3)");
    }

    /**
     * Debian's slixmpp 1.8.3 exactly as it comes: it offers SCRAM-SHA-512-PLUS with tls-unique (which TLS 1.3 does not
     * define, so this server cannot check it), then SCRAM with gs2 flag y on the same stream; having seen -PLUS fail
     * for want of a common binding type, that 'y' is not a downgrade and is accepted (strata.stream.c2s
     * channel.binding.fallback). A 'y' without that attempt stays refused (ScramServerTest).
     */
    @Test
    void slixmppWithItsDefaultsLogsInOverTls13() {
        for (boolean direct : new boolean[] {false, true}) {
            Result r = StrataServer.run(List.of("/usr/bin/python3", PYTHON_CLIENT.toString(), "bob@localhost/defaults" + direct, "Bob-pw-1",
                    Integer.toString(direct ? server.c2sTlsPort : server.c2sPort), direct ? "direct" : "starttls", "default"), Map.of(), Duration.ofSeconds(60));
            assertThat(r.out()).as("%s", r).contains("BOUND bob@localhost/defaults" + direct, "TLS TLSv1.3", "PING ", "DONE");
        }
        assertThat(server.log()).contains("Channel binding type tls-unique is not supported here", "authenticated as bob@localhost with SCRAM-SHA-512 (TLSv1.3, gs2 flag y)");
    }

    /**
     * A man in the middle strips the -PLUS mechanisms from the features: a client that can bind then sends gs2 flag y,
     * and since it never asked -PLUS on this stream, the server takes it for the downgrade it is.
     */
    @Test
    void aClientThatSawNoPlusMechanismIsRefusedAsADowngrade() throws Exception {
        for (boolean direct : new boolean[] {false, true}) {
            try (var l = dev.strata.bench.RawXmppClient.login(direct ? server.c2sTlsPort : server.c2sPort, direct, "bob", "Bob-pw-1",
                    dev.strata.api.auth.ScramHash.SHA_256, dev.strata.bench.RawXmppClient.CLAIM_NO_BINDING)) {
                assertThat(l.success()).as("%s", l.transcript()).isFalse();
                assertThat(l.transcript()).contains("<not-authorized/>");
            }
        }
        assertThat(server.log()).contains("channel binding downgrade detected (gs2 flag y)");
    }

    @Test
    void smackLogsInPingsAndReadsDiscoOverStartTlsAndDirectTls() throws Exception {
        for (boolean direct : new boolean[] {false, true}) {
            XMPPTCPConnection c = smack("bob", "Bob-pw-1", "smack" + direct, direct);
            try {
                assertThat(c.isSecureConnection() || direct).isTrue();
                assertThat(c.getUser().toString()).isEqualTo("bob@localhost/smack" + direct);
                assertThat((Object) c.sendIqRequestAndWaitForResponse(new Ping(JidCreate.domainBareFrom("localhost")))).isNotNull();
                var info = ServiceDiscoveryManager.getInstanceFor(c).discoverInfo(JidCreate.domainBareFrom("localhost"));
                assertThat(info.containsFeature("urn:xmpp:ping")).isTrue();
                assertThat(info.getIdentities()).anySatisfy(i -> assertThat(i.getCategory() + "/" + i.getType()).isEqualTo("server/im"));
                System.out.printf("[figure] Smack (%s) authenticated with %s%n", direct ? "direct TLS" : "STARTTLS", c.getUsedSaslMechansism());
            } finally {
                c.disconnect();
            }
        }
    }

    /** RFC 9266 and RFC 5929 through XEP-0440: channel binding data computed by the client on its own TLS session. */
    @Test
    void scramPlusBindsToTheTlsChannelWithBothTypes() throws Exception {
        for (boolean direct : new boolean[] {false, true}) {
            for (String type : List.of("tls-exporter", "tls-server-end-point")) {
                for (ScramHash hash : ScramHash.values()) {
                    try (RawXmppClient.Login l = RawXmppClient.login(direct ? server.c2sTlsPort : server.c2sPort, direct, "alice", "Alice-pw-1", hash, type)) {
                        assertThat(l.success()).as("%s-PLUS with %s, %s: %s", hash, type, direct ? "direct TLS" : "STARTTLS", l.transcript()).isTrue();
                        assertThat(l.transcript()).contains("<jid>alice@localhost/");
                    }
                }
            }
        }
        try (RawXmppClient.Login l = RawXmppClient.login(server.c2sPort, false, "alice", "Alice-pw-1", ScramHash.SHA_256, "tls-unique")) {
            assertThat(l.success()).isFalse();
            assertThat(l.transcript()).contains("<malformed-request/>", "tls-unique is not supported here");
        }
        assertThat(server.log()).contains("authenticated as alice@localhost with SCRAM-SHA-512-PLUS (TLSv1.3, channel binding tls-exporter)",
                "authenticated as alice@localhost with SCRAM-SHA-512-PLUS (TLSv1.3, channel binding tls-server-end-point)");
    }

    /** A replaced certificate is served to new connections without a restart; open ones carry on. */
    @Test
    void certificatesAreReplacedLive() throws Exception {
        XMPPTCPConnection open = smack("bob", "Bob-pw-1", "cert", false);
        Path crt = server.data.resolve("certs/localhost.crt");
        Path key = server.data.resolve("certs/localhost.key");
        byte[] originalCrt = Files.readAllBytes(crt);
        byte[] originalKey = Files.readAllBytes(key);
        try {
            byte[] before;
            try (RawXmppClient.Login l = RawXmppClient.login(server.c2sPort, false, "alice", "Alice-pw-1", ScramHash.SHA_256, null)) {
                before = l.socket().getSession().getPeerCertificates()[0].getEncoded();
            }
            Result list = server.ssh("cert:list");
            assertThat(list.out()).contains("localhost", "CN=localhost", "certs/localhost.crt");
            // replace the files (here: remove them, and the server makes a new self-signed pair)
            Files.delete(crt);
            Files.delete(key);
            Result reload = server.ssh("cert:reload");
            assertThat(reload.exit()).as("%s", reload).isZero();
            assertThat(reload.out()).contains("Reloaded: localhost");
            try (RawXmppClient.Login l = RawXmppClient.login(server.c2sPort, false, "alice", "Alice-pw-1", ScramHash.SHA_256, null)) {
                byte[] after = l.socket().getSession().getPeerCertificates()[0].getEncoded();
                assertThat(after).isNotEqualTo(before);
                assertThat(l.success()).isTrue();
            }
            assertThat((Object) open.sendIqRequestAndWaitForResponse(new Ping(JidCreate.domainBareFrom("localhost")))).isNotNull();
        } finally {
            open.disconnect();
            Files.write(crt, originalCrt); // the other tests trust the original certificate
            Files.write(key, originalKey);
            assertThat(server.ssh("cert:reload").out()).contains("Reloaded: localhost");
        }
    }

    /**
     * An RSA certificate beside the EC one: a client that cannot verify ECDSA (by its TLS 1.3
     * signature schemes or its TLS 1.2 suites) gets the RSA one, on STARTTLS and direct TLS, and
     * binds SCRAM-PLUS to it (tls-server-end-point hashes the certificate it was served); every
     * other client gets the EC one. OpenSSL's client is asked the same as the JDK's.
     */
    @Test
    void eachClientIsServedACertificateItsKeyTypeFits() throws Exception {
        Path ec = server.data.resolve("certs/localhost.crt");
        Path rsa = server.data.resolve("certs/localhost.rsa.crt");
        // generated beside the self-signed EC certificate, after startup
        StrataServer.await(Duration.ofSeconds(30), "the RSA certificate served", () -> server.ssh("cert:list").out().contains("localhost  RSA"));
        assertThat(rsa).exists();
        assertThat(server.data.resolve("certs/localhost.rsa.key")).exists();
        String list = server.ssh("cert:list").out();
        assertThat(list).contains("localhost  EC  CN=localhost", "certs/localhost.crt", "localhost  RSA  CN=localhost", "certs/localhost.rsa.crt");
        record Case(String name, String[] protocols, String[] suites, String[] schemes, Path expected) {
        }
        List<Case> cases = List.of(
                new Case("TLS 1.3, defaults", null, null, null, ec),
                // rsa_pkcs1_sha256 for the certificate's own signature; the handshake signs with RSA-PSS (RFC 8446 §4.2.3)
                new Case("TLS 1.3, RSA only", new String[] {"TLSv1.3"}, null, new String[] {"rsa_pss_rsae_sha256", "rsa_pkcs1_sha256"}, rsa),
                new Case("TLS 1.3, ECDSA only", new String[] {"TLSv1.3"}, null, new String[] {"ecdsa_secp256r1_sha256"}, ec),
                new Case("TLS 1.2, ECDHE-RSA suites only", new String[] {"TLSv1.2"},
                        new String[] {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"}, null, rsa),
                new Case("TLS 1.2, defaults", new String[] {"TLSv1.2"}, null, null, ec));
        for (boolean direct : new boolean[] {false, true}) {
            for (Case c : cases) {
                for (String binding : new String[] {"tls-server-end-point", "tls-exporter"}) {
                    if ("tls-exporter".equals(binding) && c.protocols() != null && c.protocols()[0].equals("TLSv1.2")) continue; // RFC 9266: 1.3 only here
                    try (RawXmppClient.Login l = RawXmppClient.login(direct ? server.c2sTlsPort : server.c2sPort, direct, "alice", "Alice-pw-1",
                            ScramHash.SHA_256, binding, tls -> {
                                javax.net.ssl.SSLParameters p = tls.getSSLParameters();
                                if (c.protocols() != null) p.setProtocols(c.protocols());
                                if (c.suites() != null) p.setCipherSuites(c.suites());
                                if (c.schemes() != null) p.setSignatureSchemes(c.schemes());
                                tls.setSSLParameters(p);
                            })) {
                        String what = c.name() + (direct ? ", direct TLS, " : ", STARTTLS, ") + binding;
                        assertThat(l.success()).as("%s: %s", what, l.transcript()).isTrue();
                        assertThat(l.socket().getSession().getPeerCertificates()[0].getEncoded()).as(what)
                                .isEqualTo(StrataServer.certificate(c.expected()).getEncoded());
                    }
                }
            }
        }
        // OpenSSL's client (another TLS stack) over STARTTLS, with each key type's TLS 1.3 schemes
        for (String[] sigalgs : new String[][] {{"rsa_pss_rsae_sha256", "RSA"}, {"ecdsa_secp256r1_sha256", "EC"}}) {
            Result r = StrataServer.run(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + server.c2sPort, "-starttls", "xmpp", "-xmpphost",
                    "localhost", "-tls1_3", "-sigalgs", sigalgs[0], "-brief", "-no_ign_eof"), Map.of(), Duration.ofSeconds(20));
            assertThat(r.out() + r.err()).as("openssl with %s", sigalgs[0]).contains("Signature type: " + (sigalgs[1].equals("RSA") ? "RSA-PSS" : "ECDSA"));
        }
    }

    /** A broken RSA certificate is reported and left out; the domain keeps serving its main one. */
    @Test
    void aBrokenRsaCertificateIsReportedAndTheMainOneStillServed() throws Exception {
        Path rsa = server.data.resolve("certs/localhost.rsa.crt");
        StrataServer.await(Duration.ofSeconds(30), "the RSA certificate served", () -> server.ssh("cert:list").out().contains("localhost  RSA"));
        byte[] original = Files.readAllBytes(rsa);
        try {
            Files.writeString(rsa, "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n");
            assertThat(server.ssh("cert:reload").out()).contains("Reloaded: localhost");
            assertThat(server.ssh("cert:list").out()).contains("localhost  EC").doesNotContain("localhost  RSA");
            assertThat(server.log()).contains("The RSA certificate of localhost cannot be used, only its main one is served");
            try (RawXmppClient.Login l = RawXmppClient.login(server.c2sPort, false, "alice", "Alice-pw-1", ScramHash.SHA_256, "tls-server-end-point")) {
                assertThat(l.success()).as(l.transcript()).isTrue();
            }
        } finally {
            Files.write(rsa, original);
            assertThat(server.ssh("cert:reload").out()).contains("Reloaded: localhost");
        }
    }

    /** XEP-0138: zlib compression where the policy allows it (development here), none where it does not. */
    @Test
    void streamCompressionFollowsThePolicy() throws Exception {
        XMPPTCPConnection c = smack("bob", "Bob-pw-1", "zlib", false, true);
        try {
            assertThat(c.isUsingCompression()).isTrue();
            assertThat((Object) c.sendIqRequestAndWaitForResponse(new Ping(JidCreate.domainBareFrom("localhost")))).isNotNull();
            var info = ServiceDiscoveryManager.getInstanceFor(c).discoverInfo(JidCreate.domainBareFrom("localhost"));
            assertThat(info.containsFeature("urn:xmpp:ping")).isTrue();
            assertThat(server.ssh("session:list").out()).contains("bob@localhost/zlib").contains("zlib");
        } finally {
            c.disconnect();
        }
        Result off = server.ssh("config:set strata.xep0138 enabled false");
        assertThat(off.exit()).as("%s", off).isZero();
        try {
            StrataServer.await(Duration.ofSeconds(10), "compression to be no longer offered", () -> {
                try {
                    XMPPTCPConnection plain = smack("bob", "Bob-pw-1", "nozlib", false, true);
                    boolean compressed = plain.isUsingCompression();
                    plain.disconnect();
                    return !compressed;
                } catch (Exception e) {
                    return false;
                }
            });
        } finally {
            assertThat(server.ssh("config:set strata.xep0138 enabled true").exit()).isZero();
        }
    }

    @Test
    void aWrongPasswordIsNotAuthorized() {
        assertThatThrownBy(() -> smack("alice", "wrong", "x", false)).isInstanceOfSatisfying(SASLErrorException.class,
                e -> assertThat(e.getSASLFailure().getSASLErrorString()).isEqualTo("not-authorized"));
        assertThatThrownBy(() -> smack("nobody", "whatever", "x", false)).isInstanceOfSatisfying(SASLErrorException.class,
                e -> assertThat(e.getSASLFailure().getSASLErrorString()).isEqualTo("not-authorized"));
        Result r = slixmpp("alice@localhost/x", "wrong", false);
        assertThat(r.out()).contains("AUTH FAILED");
    }

    /** A raw plaintext client: what the server says, read until the end of the stream or a timeout. */
    private static final class Raw implements AutoCloseable {
        final Socket socket;
        final StringBuilder received = new StringBuilder();

        Raw(int port) throws IOException {
            socket = new Socket(InetAddress.getLoopbackAddress(), port);
            socket.setSoTimeout(15_000);
        }

        void send(String s) throws IOException {
            OutputStream out = socket.getOutputStream();
            out.write(s.getBytes(StandardCharsets.UTF_8));
            out.flush();
        }

        /** Reads until {@code marker} arrived (true) or the server closed the socket (false). */
        boolean readUntil(String marker) throws IOException {
            byte[] buf = new byte[8192];
            while (!received.toString().contains(marker)) {
                int n = socket.getInputStream().read(buf);
                if (n < 0) return false;
                received.append(new String(buf, 0, n, StandardCharsets.UTF_8));
            }
            return true;
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    @Test
    void authenticationBeforeTlsIsRefused() throws IOException {
        try (Raw raw = new Raw(server.c2sPort)) {
            raw.send(STREAM_OPEN);
            assertThat(raw.readUntil("</stream:features>")).isTrue();
            // either quote is XML; compare with one
            assertThat(raw.received.toString().replace('"', '\'')).contains("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>")
                    .doesNotContain("<mechanisms");
            String plain = Base64.getEncoder().encodeToString("\0alice\0Alice-pw-1".getBytes(StandardCharsets.UTF_8));
            raw.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + plain + "</auth>");
            assertThat(raw.readUntil("</failure>")).isTrue();
            assertThat(raw.received.toString()).contains("<encryption-required/>").doesNotContain("<success");
        }
    }

    @Test
    void aSecondStarttlsGetsOneProceedThenAStreamError() throws IOException {
        try (Raw raw = new Raw(server.c2sPort)) {
            raw.send(STREAM_OPEN);
            assertThat(raw.readUntil("</stream:features>")).isTrue();
            raw.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
            raw.readUntil("</stream:stream>");
            String got = raw.received.toString();
            assertThat(got.split("<proceed", -1)).as(got).hasSize(2);
            assertThat(got).contains("<stream:error><policy-violation ", "Nothing may follow &lt;starttls/&gt; before the TLS handshake");
        }
        assertThat(server.log()).doesNotContain("Duplicate handler name");
    }

    /** RFC 6120 §4.9.3.13: bytes that are not UTF-8, or characters XML forbids, get not-well-formed, not a dropped connection. */
    @Test
    void invalidUtf8GetsNotWellFormed() throws IOException {
        for (byte[] bad : new byte[][] {{(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, {(byte) 0xC0, (byte) 0x80}, {0x01}}) {
            try (Raw raw = new Raw(server.c2sPort)) {
                raw.send(STREAM_OPEN + "<message to='bob@localhost'><body>");
                raw.socket.getOutputStream().write(bad);
                raw.send("</body></message>");
                raw.readUntil("</stream:stream>");
                assertThat(raw.received.toString()).as(java.util.HexFormat.of().formatHex(bad)).contains("<stream:error><not-well-formed ", "</stream:stream>");
            }
        }
    }

    @Test
    void aStreamHeaderOverTheLimitIsRefusedEvenWhenItArrivesWhole() throws IOException {
        try (Raw raw = new Raw(server.c2sPort)) {
            // 270 KB in one write: the server may read it in one chunk, past the 256 KiB limit
            raw.send("<?xml version='1.0'?><stream:stream to='localhost' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' x='"
                    + "a".repeat(270_000) + "'>");
            raw.readUntil("</stream:stream>");
            assertThat(raw.received.toString()).contains("<stream:error><policy-violation ");
        }
    }

    @Test
    void streamHeaderErrorsAreAnsweredWithTheRightStreamError() throws IOException {
        Map<String, String> cases = Map.of(
                "<?xml version='1.0'?><stream:stream to='example.com' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>", "host-unknown",
                "<?xml version='1.0'?><stream:stream to='localhost' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>", "unsupported-version",
                "<?xml version='1.0'?><stream:stream to='localhost' version='99999999999999999999.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>", "unsupported-version",
                "<?xml version='1.0'?><stream:stream to='localhost' version='1.0' xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams'>", "invalid-namespace",
                "<?xml version='1.0'?><stream:stream to='localhost' version='1.0' xmlns='jabber:client' xmlns:stream='urn:wrong'>", "invalid-namespace",
                STREAM_OPEN + "<message to='bob@localhost'><body>hi</body></message>", "not-authorized",
                STREAM_OPEN + "<foo xmlns='urn:example'/>", "unsupported-stanza-type");
        for (var c : cases.entrySet()) {
            try (Raw raw = new Raw(server.c2sPort)) {
                raw.send(c.getKey());
                raw.readUntil("</stream:stream>");
                assertThat(raw.received.toString()).as(c.getKey()).contains("<stream:stream", "<stream:error><" + c.getValue() + " ", "</stream:stream>");
            }
        }
    }

    /**
     * RFC 6120 §4.4: the server answers a client's closing tag with its own and leaves the TCP close
     * to the client (closing at once would put the TLS close_notify in the same read as the closing
     * tag, which Smack's modular client drops, and would reset the connection over unread input);
     * a client that then holds the socket open is closed after a few seconds.
     */
    @Test
    void closingTheStreamIsAHandshakeAndTheClientClosesTheSocket() throws IOException {
        try (Raw raw = new Raw(server.c2sPort)) {
            raw.send(STREAM_OPEN);
            raw.readUntil("</stream:features>");
            raw.send("</stream:stream>");
            assertThat(raw.readUntil("</stream:stream>")).as("the server's closing tag").isTrue();
            raw.socket.setSoTimeout(1_000);
            assertThatThrownBy(() -> raw.socket.getInputStream().read()).as("the socket stays open for the client to close")
                    .isInstanceOf(java.net.SocketTimeoutException.class);
            raw.socket.setSoTimeout(10_000);
            long t0 = System.nanoTime();
            assertThat(raw.socket.getInputStream().read()).as("closed by the server after the linger").isEqualTo(-1);
            assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(5_000);
        }
    }

    @Test
    void garbageGetsNotWellFormedWhileOtherSessionsCarryOn() throws Exception {
        XMPPTCPConnection bystander = smack("bob", "Bob-pw-1", "bystander", false);
        try (Raw raw = new Raw(server.c2sPort)) {
            raw.send(STREAM_OPEN);
            raw.readUntil("</stream:features>");
            raw.send("<message><<<this is not XML>>>");
            raw.readUntil("</stream:stream>");
            assertThat(raw.received.toString()).contains("<not-well-formed xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>").endsWith("</stream:stream>");
            assertThat((Object) bystander.sendIqRequestAndWaitForResponse(new Ping(JidCreate.domainBareFrom("localhost")))).isNotNull();
            assertThat(bystander.isAuthenticated()).isTrue();
        } finally {
            bystander.disconnect();
        }
    }

    private long rssKiB() throws IOException {
        long pid = server.pid();
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("\\D", ""));
        }
        throw new IllegalStateException("no VmRSS");
    }

    @Test
    void billionLaughsAndDoctypesAreRefusedWithoutMemoryGrowth() throws IOException {
        StringBuilder lol = new StringBuilder("<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>");
        for (int i = 1; i <= 9; i++) {
            lol.append("<!ENTITY lol").append(i).append(" '").append(("&lol" + (i == 1 ? "" : i - 1) + ";").repeat(10)).append("'>");
        }
        lol.append("]><stream:stream to='localhost' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"
                + "<message>&lol9;</message>");
        long before = rssKiB();
        for (int i = 0; i < 200; i++) {
            try (Raw raw = new Raw(server.c2sPort)) {
                raw.send(lol.toString());
                raw.readUntil("</stream:stream>");
                assertThat(raw.received.toString()).contains("<restricted-xml xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>");
            }
        }
        try (Raw raw = new Raw(server.c2sPort)) {
            raw.send(STREAM_OPEN);
            raw.readUntil("</stream:features>");
            raw.send("<message><!-- comment --></message>");
            raw.readUntil("</stream:stream>");
            assertThat(raw.received.toString()).contains("<restricted-xml ");
        }
        long after = rssKiB();
        System.out.printf("[figure] RSS before/after 200 billion-laughs streams: %d / %d KiB%n", before, after);
        assertThat(after - before).as("RSS growth in KiB").isLessThan(64 * 1024);
    }

    @Test
    void unloadingPingWith50ClientsConnectedDisconnectsNobody() throws Exception {
        List<XMPPTCPConnection> clients = new ArrayList<>();
        AtomicInteger dropped = new AtomicInteger();
        try {
            for (int i = 0; i < 50; i++) {
                XMPPTCPConnection c = smack("alice", "Alice-pw-1", "load" + i, false);
                c.addConnectionListener(new ConnectionListener() {
                    @Override
                    public void connectionClosed() {
                        dropped.incrementAndGet();
                    }

                    @Override
                    public void connectionClosedOnError(Exception e) {
                        dropped.incrementAndGet();
                    }
                });
                clients.add(c);
            }
            XMPPTCPConnection probe = clients.getFirst();
            var domain = JidCreate.domainBareFrom("localhost");
            assertThat(server.ssh("module:unload xep-0199-ping").exit()).isZero();
            try {
                assertThatThrownBy(() -> probe.sendIqRequestAndWaitForResponse(new Ping(domain)))
                        .isInstanceOfSatisfying(XMPPException.XMPPErrorException.class,
                                e -> assertThat(e.getStanzaError().getCondition().toString()).isEqualTo("service-unavailable"));
                // Smack keeps the server's disco#info under the XEP-0115 caps of its stream features for the
                // whole stream; a client sees the new set at its next login, or, as here, with a fresh query
                EntityCapsManager.clearMemoryCache();
                assertThat(ServiceDiscoveryManager.getInstanceFor(probe).discoverInfo(domain).containsFeature("urn:xmpp:ping")).isFalse();
            } finally {
                assertThat(server.ssh("module:load xep-0199-ping").exit()).isZero();
            }
            for (XMPPTCPConnection c : clients) assertThat((Object) c.sendIqRequestAndWaitForResponse(new Ping(domain))).isNotNull();
            EntityCapsManager.clearMemoryCache();
            assertThat(ServiceDiscoveryManager.getInstanceFor(probe).discoverInfo(domain).containsFeature("urn:xmpp:ping")).isTrue();
            assertThat(dropped.get()).as("connections closed").isZero();
            assertThat(clients).allMatch(XMPPConnection::isAuthenticated);
            assertThat(server.ssh("session:list").out()).contains("51 sessions".replace("51", Integer.toString(clients.size())));
        } finally {
            for (XMPPTCPConnection c : clients) c.disconnect();
        }
    }

    @Test
    void reloadingEveryModuleAboveTheStreamLayerDisconnectsNobody() throws Exception {
        XMPPTCPConnection c = smack("bob", "Bob-pw-1", "reloads", false);
        AtomicInteger dropped = new AtomicInteger();
        c.addConnectionListener(new ConnectionListener() {
            @Override
            public void connectionClosedOnError(Exception e) {
                dropped.incrementAndGet();
            }
        });
        try {
            var domain = JidCreate.domainBareFrom("localhost");
            for (String module : List.of("config", "storage-jdbc", "accounts", "router", "xep-0030-disco", "xep-0199-ping")) {
                Result r = server.ssh("module:reload " + module);
                assertThat(r.exit()).as("module:reload %s: %s", module, r).isZero();
                StrataServer.await(Duration.ofSeconds(20), "ping to answer after reloading " + module, () -> {
                    try {
                        return c.sendIqRequestAndWaitForResponse(new Ping(domain)) != null;
                    } catch (Exception e) {
                        return false;
                    }
                });
            }
            assertThat(dropped.get()).isZero();
            assertThat(c.isAuthenticated()).isTrue();
            // and a new login still works: storage, accounts and config are back; and the reloaded router
            // still reaches the session bound before the reloads (the stream layer binds it in the new registry)
            XMPPTCPConnection alice = smack("alice", "Alice-pw-1", "after-reloads", false);
            try (StanzaCollector inbox = c.createStanzaCollector(new AndFilter(StanzaTypeFilter.MESSAGE, MessageWithBodiesFilter.INSTANCE))) {
                alice.sendStanza(StanzaBuilder.buildMessage().to(c.getUser()).ofType(Message.Type.chat).setBody("still there?").build());
                Message m = inbox.nextResult(Duration.ofSeconds(10).toMillis());
                assertThat((Object) m).as("a message to the session bound before the router reload").isNotNull();
                assertThat(m.getBody()).isEqualTo("still there?");
            } finally {
                alice.disconnect();
            }
        } finally {
            c.disconnect();
        }
    }

    @Test
    void theSameResourceTwiceReplacesTheOldSession() throws Exception {
        XMPPTCPConnection first = smack("bob", "Bob-pw-1", "twice", false);
        AtomicInteger closedOnError = new AtomicInteger();
        first.addConnectionListener(new ConnectionListener() {
            @Override
            public void connectionClosedOnError(Exception e) {
                closedOnError.incrementAndGet();
            }
        });
        XMPPTCPConnection second = smack("bob", "Bob-pw-1", "twice", false);
        try {
            StrataServer.await(Duration.ofSeconds(15), "the first session to get a conflict", () -> closedOnError.get() == 1);
            assertThat(second.isAuthenticated()).isTrue();
        } finally {
            first.disconnect();
            second.disconnect();
        }
    }
}
