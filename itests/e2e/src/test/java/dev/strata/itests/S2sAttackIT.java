package dev.strata.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Map;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import dev.strata.bench.RawXmppClient;

/**
 * Another server that lies, on a raw socket to Strata's server-to-server port (alpha.test, which
 * trusts the test authority): a stream in the client namespace, a stream to a domain Strata does not
 * host, SASL EXTERNAL for a domain the certificate does not name, EXTERNAL where it was not offered,
 * stanzas before authenticating and stanzas from a domain other than the authenticated one, and
 * dialback for a domain Strata does not host. Each gets the RFC 6120 or XEP-0220 refusal, and
 * nothing reaches alice.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class S2sAttackIT {
    private StrataServer alpha;
    private TestPki pki;
    private Path certs;

    @BeforeAll
    void start() throws Exception {
        Path work = StrataServer.WORK.resolve("s2s-attack-pki");
        StrataServer.deleteTree(work);
        pki = new TestPki(work);
        certs = work.resolve("peer");
        pki.issue("beta.test", certs); // a real certificate, for beta.test only
        Path home = StrataServer.freshHome("s2s-attack");
        assertThat(StrataServer.register(home, home.resolve("data"), "alice", "alpha.test", "alice-Pw-1").exit()).isZero();
        pki.issue("alpha.test", home.resolve("data/certs"));
        Files.writeString(home.resolve("config/stack/02-stream/strata.s2s.cfg"), "trust.store = " + pki.caFile() + "\n");
        alpha = StrataServer.start(home, home.resolve("data"), Map.of("STRATA_DOMAIN", "alpha.test", "STRATA_ADMIN_JID", "admin@alpha.test"));
    }

    @AfterAll
    void stop() throws Exception {
        if (alpha != null) alpha.close();
    }

    /** A peer speaking XMPP by hand: writes what it is told, reads until a marker. */
    private final class Peer implements AutoCloseable {
        private Socket socket;
        private InputStream in;
        private final StringBuilder pending = new StringBuilder();

        Peer() throws IOException {
            socket = new Socket(InetAddress.getLoopbackAddress(), alpha.s2sPort);
            socket.setSoTimeout(15_000);
            in = socket.getInputStream();
        }

        void send(String xml) throws IOException {
            socket.getOutputStream().write(xml.getBytes(StandardCharsets.UTF_8));
            socket.getOutputStream().flush();
        }

        String until(String marker) throws IOException {
            byte[] buf = new byte[8192];
            while (pending.indexOf(marker) < 0) {
                int n = in.read(buf);
                if (n < 0) throw new IOException("closed before '" + marker + "'; got: " + pending);
                pending.append(new String(buf, 0, n, StandardCharsets.UTF_8));
            }
            int end = pending.indexOf(marker) + marker.length();
            String got = pending.substring(0, end);
            pending.delete(0, end);
            return got;
        }

        /** Header, STARTTLS with beta.test's certificate, header again: returns the features after TLS. */
        String secure(String from) throws Exception {
            send(header(from));
            until("</stream:features>");
            send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
            until("<proceed");
            until("/>");
            SSLSocket tls = (SSLSocket) context().getSocketFactory().createSocket(socket, "alpha.test", alpha.s2sPort, true);
            tls.startHandshake();
            socket = tls;
            in = tls.getInputStream();
            send(header(from));
            return until("</stream:features>");
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    private static String header(String from) {
        return "<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' "
                + "to='alpha.test'" + (from == null ? "" : " from='" + from + "'") + " version='1.0'>";
    }

    /** TLS presenting beta.test's certificate (from the trusted authority), trusting any server. */
    private SSLContext context() throws Exception {
        String pem = Files.readString(certs.resolve("beta.test.key")).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        PrivateKey key = KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(pem)));
        Certificate cert;
        try (InputStream in = Files.newInputStream(certs.resolve("beta.test.crt"))) {
            cert = CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("peer", key, new char[0], new Certificate[] {cert});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, new char[0]);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), new TrustManager[] {RawXmppClient.TRUST_ALL_CERTIFICATES}, null);
        return ctx;
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void streamsInTheWrongNamespaceOrToAnotherDomainAreRefused() throws Exception {
        try (Peer p = new Peer()) {
            p.send("<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='alpha.test' version='1.0'>");
            assertThat(p.until("</stream:error>")).contains("<invalid-namespace");
        }
        try (Peer p = new Peer()) {
            p.send(header("beta.test").replace("to='alpha.test'", "to='elsewhere.test'"));
            assertThat(p.until("</stream:error>")).contains("<host-unknown", "elsewhere.test is not served here");
        }
    }

    @Test
    void externalForADomainTheCertificateDoesNotNameFails() throws Exception {
        try (Peer p = new Peer()) {
            String features = p.secure("beta.test");
            assertThat(features).as("EXTERNAL offered: the certificate is good for beta.test").contains("<mechanism>EXTERNAL</mechanism>", "urn:xmpp:features:dialback");
            p.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>" + b64("evil.test") + "</auth>");
            assertThat(p.until("</failure>")).contains("<invalid-authzid", "Not evil.test: the certificate is not for evil.test (it is for beta.test)");
            p.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + b64("\0beta.test\0x") + "</auth>");
            assertThat(p.until("</failure>")).contains("<invalid-mechanism");

            // the real name works; then a stanza that claims another domain ends the stream
            p.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>=</auth>");
            assertThat(p.until("/>")).contains("<success");
            p.send(header("beta.test"));
            assertThat(p.until("</stream:features>")).doesNotContain("EXTERNAL");
            p.send("<message from='mallory@evil.test' to='alice@alpha.test' type='chat'><body>trust me</body></message>");
            assertThat(p.until("</stream:error>")).contains("<invalid-from", "evil.test is not a domain authenticated on this stream");
        }
        assertThat(alpha.log()).contains("SASL EXTERNAL refused: Not evil.test").doesNotContain("trust me");
    }

    @Test
    void aCertificateForAnotherDomainGetsNoExternalAndStanzasBeforeAuthenticationEndTheStream() throws Exception {
        try (Peer p = new Peer()) {
            String features = p.secure("evil.test");
            assertThat(features).as("no EXTERNAL for evil.test with beta.test's certificate").doesNotContain("EXTERNAL").contains("urn:xmpp:features:dialback");
            p.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>=</auth>");
            assertThat(p.until("</failure>")).contains("<not-authorized", "SASL EXTERNAL was not offered on this stream");
            // dialback for a domain alpha does not host
            p.send("<db:result from='evil.test' to='other.test'>0123456789abcdef</db:result>");
            assertThat(p.until("</db:result>")).contains("type=\"error\"", "<item-not-found", "other.test is not served here");
            p.send("<message from='mallory@evil.test' to='alice@alpha.test' type='chat'><body>before auth</body></message>");
            assertThat(p.until("</stream:error>")).contains("<not-authorized", "evil.test is not authenticated on this stream");
        }
        assertThat(alpha.log()).doesNotContain("before auth");
    }
}
