package dev.strata.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import dev.strata.api.auth.ScramHash;
import dev.strata.bench.RawXmppClient;

/** The transport's limits under attack, each answered with its stream error (RFC 6120 §4.9.3). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LimitsIT {
    private static final String OPEN = "<?xml version='1.0'?><stream:stream to='localhost' version='1.0' xmlns='jabber:client' "
            + "xmlns:stream='http://etherx.jabber.org/streams'>";
    private StrataServer server;

    @BeforeAll
    void start() throws Exception {
        Path home = StrataServer.freshHome("limits-it");
        Files.writeString(home.resolve("config/stack/01-transport/strata.transport.c2s.cfg"),
                "max.connections.per.ip = 3\nidle.timeout = 2\nmax.stanza.size = 4096\ntls.handshake.timeout = 2\nmax.outbound.bytes = 262144\n"
                        + "max.bytes.per.second = 104857600\n", // the slow-reader test sends faster than the default read rate
                StandardOpenOption.APPEND);
        // policies/security.cfg sets these; the environment layer overrides policies
        Files.writeString(home.resolve("config/environments/development.cfg"),
                "\n[strata.stream.c2s]\nauth.failure.delay.ms = 0\nnegotiation.timeout = 4\nmax.resources.per.account = 1\n"
                        + "[strata.auth]\nfree.per.account.address = 2\ndelay.first = 60\n", StandardOpenOption.APPEND);
        // a third listener whose port is out of range: on this fresh data folder it has no previous configuration to keep
        Files.writeString(home.resolve("config/stack/01-transport/strata.listener~broken.cfg"), "kind = c2s\nbind = 127.0.0.1\nport = 99999\n");
        assertThat(StrataServer.register(home, home.resolve("data"), "dave", "localhost", "Dave-pw-1").exit()).isZero();
        assertThat(StrataServer.register(home, home.resolve("data"), "erin", "localhost", "Erin-pw-1").exit()).isZero();
        assertThat(StrataServer.register(home, home.resolve("data"), "frank", "localhost", "Frank-pw-1").exit()).isZero();
        assertThat(StrataServer.register(home, home.resolve("data"), "grace", "localhost", "Grace-pw-1").exit()).isZero();
        server = StrataServer.start(home, home.resolve("data"), Map.of());
    }

    @AfterAll
    void stop() throws Exception {
        if (server != null) server.close();
    }

    private Socket connect(int port) throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
        s.setSoTimeout(20_000);
        return s;
    }

    /** What the server says until its closing tag (it then leaves the TCP close to us) or the end of the connection. */
    private static String readToEnd(Socket s) throws IOException {
        StringBuilder sb = new StringBuilder();
        InputStream in = s.getInputStream();
        byte[] buf = new byte[4096];
        int n;
        while (!sb.toString().contains("</stream:stream>") && (n = in.read(buf)) >= 0) sb.append(new String(buf, 0, n, StandardCharsets.UTF_8));
        return sb.toString();
    }

    @Test
    void connectionsPerAddressAreLimited() throws IOException {
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                Socket s = connect(server.c2sPort);
                s.getOutputStream().write(OPEN.getBytes(StandardCharsets.UTF_8));
                byte[] buf = new byte[4096];
                assertThat(s.getInputStream().read(buf)).as("admitted: the server answers").isPositive();
                held.add(s);
            }
            try (Socket fourth = connect(server.c2sPort)) {
                String answer = readToEnd(fourth);
                assertThat(answer).contains("<policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>", "Too many connections from your address",
                        "</stream:stream>");
            }
            held.removeFirst().close();
            StrataServer.await(java.time.Duration.ofSeconds(10), "a connection slot to free up", () -> {
                try (Socket again = connect(server.c2sPort)) {
                    again.getOutputStream().write(OPEN.getBytes(StandardCharsets.UTF_8));
                    byte[] buf = new byte[4096];
                    int n = again.getInputStream().read(buf);
                    return n > 0 && new String(buf, 0, n, StandardCharsets.UTF_8).contains("<stream:features>") ;
                } catch (IOException e) {
                    return false;
                }
            });
        } finally {
            for (Socket s : held) s.close();
        }
    }

    @Test
    void aSilentStreamTimesOut() throws IOException {
        try (Socket s = connect(server.c2sPort)) {
            s.getOutputStream().write(OPEN.getBytes(StandardCharsets.UTF_8));
            long t0 = System.nanoTime();
            String answer = readToEnd(s);
            assertThat(answer).contains("<connection-timeout xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>");
            System.out.printf("[figure] idle stream closed after %d ms (idle.timeout = 2 s)%n", (System.nanoTime() - t0) / 1_000_000);
        }
    }

    @Test
    void aTlsHandshakeThatNeverComesIsCutOff() throws IOException {
        try (Socket s = connect(server.c2sTlsPort)) {
            long t0 = System.nanoTime();
            assertThat(s.getInputStream().read()).as("closed by the server").isEqualTo(-1);
            assertThat((System.nanoTime() - t0) / 1_000_000).as("ms until closed").isLessThan(15_000);
        }
    }

    /**
     * Password guessing: past 2 free failures of one account from one address, that account is locked there
     * (even the right password is refused, with how long to wait); another account logs in from the same address
     * meanwhile; auth:lockouts shows the lock and auth:clear lifts it.
     */
    @Test
    void failedLoginsLockTheAccountOnItsAddressOnly() throws Exception {
        for (int i = 0; i < 3; i++) {
            try (var l = RawXmppClient.login(server.c2sPort, false, "dave", "guess-" + i, ScramHash.SHA_256, null)) {
                assertThat(l.success()).isFalse();
                assertThat(l.transcript()).contains("<not-authorized/>").doesNotContain("<text");
            }
        }
        try (var l = RawXmppClient.login(server.c2sPort, false, "dave", "Dave-pw-1", ScramHash.SHA_256, null)) {
            assertThat(l.success()).isFalse();
            assertThat(l.transcript()).contains("<temporary-auth-failure/>", "Too many failed logins for dave@localhost from 127.0.0.1; try again in ");
        }
        try (var other = RawXmppClient.login(server.c2sPort, false, "grace", "Grace-pw-1", ScramHash.SHA_256, null)) {
            assertThat(other.success()).as("another account from the same address: %s", other.transcript()).isTrue();
        }
        assertThat(server.log()).contains("Authentication failed from 127.0.0.1 as dave@localhost with SCRAM-SHA-256: wrong password")
                .doesNotContain("guess-0");

        String lockouts = server.ssh("auth:lockouts").out();
        assertThat(lockouts.lines().filter(l -> l.startsWith("127.0.0.1") && l.contains("dave@localhost")).findFirst()).get().asString()
                .contains(" 3 ", "for ").doesNotContain(" - ");
        assertThat(server.ssh("auth:clear dave@localhost").out()).contains("Cleared 2 records of dave@localhost");
        try (var l = RawXmppClient.login(server.c2sPort, false, "dave", "Dave-pw-1", ScramHash.SHA_256, null)) {
            assertThat(l.success()).as("after auth:clear: %s", l.transcript()).isTrue();
        }
    }

    @Test
    void anOversizedStanzaIsAPolicyViolation() throws IOException {
        try (Socket s = connect(server.c2sPort)) {
            s.getOutputStream().write((OPEN + "<message><body>" + "x".repeat(10_000) + "</body></message>").getBytes(StandardCharsets.UTF_8));
            assertThat(readToEnd(s)).contains("<policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>", "4096 bytes");
        }
    }

    /**
     * A client that never reads while another sends to it: the server stops queueing for it once
     * max.outbound.bytes wait (instead of growing its heap), ends its stream with policy-violation,
     * and the sender, who reads, is still served.
     */
    @Test
    void aClientThatNeverReadsIsCutOffRatherThanBuffered() throws Exception {
        try (var slow = RawXmppClient.login(server.c2sPort, false, "erin", "Erin-pw-1", ScramHash.SHA_256, null);
             var sender = RawXmppClient.login(server.c2sPort, false, "frank", "Frank-pw-1", ScramHash.SHA_256, null)) {
            assertThat(slow.success()).isTrue();
            assertThat(sender.success()).isTrue();
            String slowJid = slow.transcript().replaceAll("(?s).*<jid>([^<]+)</jid>.*", "$1");
            StringBuffer heard = new StringBuffer(); // the sender reads all along, as a client does
            Thread reader = Thread.ofVirtual().start(() -> {
                byte[] buf = new byte[65536];
                try {
                    for (int n; (n = sender.socket().getInputStream().read(buf)) >= 0; ) heard.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                } catch (IOException e) {
                    // closed at the end of the test
                }
            });
            String body = "x".repeat(3_000);
            var out = sender.socket().getOutputStream();
            int sent = 0;
            // loopback socket buffers hold a few MB; far more than that goes out, in bounded time
            for (; sent < 6_000; sent++) {
                out.write(("<message to='" + slowJid + "' type='chat' id='m" + sent + "'><body>" + body + "</body></message>").getBytes(StandardCharsets.UTF_8));
                if (sent % 100 == 99) {
                    out.flush();
                    if (server.log().contains("the client does not read")) break;
                }
            }
            out.flush();
            assertThat(server.log()).as("cut off by policy").contains("the client does not read", "max.outbound.bytes 262144");
            System.out.printf("[figure] a client that does not read was cut off after %d messages of 3 KB sent to it%n", sent);
            // the sender is still served (and idle.timeout = 2 s here: ask at once)
            out.write("<iq type='get' id='still-here'><ping xmlns='urn:xmpp:ping'/></iq>".getBytes(StandardCharsets.UTF_8));
            out.flush();
            StrataServer.await(java.time.Duration.ofSeconds(10), "the sender's ping answered", () -> heard.toString().contains("id=\"still-here\""));
            StrataServer.await(java.time.Duration.ofSeconds(10), "the slow reader's session ended", () -> server.log().contains("Session ended: " + slowJid));
            sender.socket().close();
            reader.join();
        }
    }

    /** One SSH password login with Apache MINA SSHD's client; true when the server accepted it. */
    private boolean sshPassword(String user, String password) throws IOException {
        try (org.apache.sshd.client.SshClient client = org.apache.sshd.client.SshClient.setUpDefaultClient()) {
            client.setServerKeyVerifier(org.apache.sshd.client.keyverifier.AcceptAllServerKeyVerifier.INSTANCE);
            client.start();
            try (var session = client.connect(user, "127.0.0.1", server.sshPort).verify(java.time.Duration.ofSeconds(20)).getSession()) {
                session.addPasswordIdentity(password);
                try {
                    session.auth().verify(java.time.Duration.ofSeconds(20));
                    return true;
                } catch (org.apache.sshd.common.SshException e) {
                    return false;
                }
            }
        }
    }

    /** The SSH console and client streams keep one record of failed logins: guessing over one locks the other too. */
    @Test
    void sshPasswordGuessingIsThrottledWithSasl() throws Exception {
        assertThat(server.ssh("user:add admin@localhost Admin-pw-1").exit()).isZero();
        assertThat(sshPassword("admin", "Admin-pw-1")).as("the right password, before any failure").isTrue();
        for (int i = 0; i < 3; i++) assertThat(sshPassword("admin", "guess-" + i)).isFalse();
        assertThat(sshPassword("admin", "Admin-pw-1")).as("locked: even the right password is refused").isFalse();
        assertThat(server.log()).contains("SSH console: password login refused for admin@localhost from 127.0.0.1: "
                + "Too many failed logins for admin@localhost from 127.0.0.1; try again in ");
        try (var l = RawXmppClient.login(server.c2sPort, false, "admin", "Admin-pw-1", ScramHash.SHA_256, null)) {
            assertThat(l.transcript()).as("the same lock over XMPP").contains("<temporary-auth-failure/>");
        }
        assertThat(server.ssh("auth:clear 127.0.0.1").out()).startsWith("Cleared ");
        assertThat(sshPassword("admin", "Admin-pw-1")).as("after auth:clear 127.0.0.1").isTrue();
    }

    @Test
    void aClientThatDripsBytesIsClosedAtTheNegotiationDeadline() throws IOException, InterruptedException {
        try (Socket s = connect(server.c2sPort)) {
            s.getOutputStream().write(OPEN.getBytes(StandardCharsets.UTF_8));
            long start = System.nanoTime();
            // a space a second keeps the 2 s idle timeout from firing; only the 4 s negotiation deadline ends it
            StringBuilder got = new StringBuilder();
            byte[] buf = new byte[4096];
            s.setSoTimeout(1000);
            while (!got.toString().contains("</stream:stream>") && System.nanoTime() - start < 20_000_000_000L) {
                try {
                    s.getOutputStream().write(' ');
                } catch (IOException e) {
                    break; // closed
                }
                try {
                    int n = s.getInputStream().read(buf);
                    if (n < 0) break;
                    got.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                } catch (java.net.SocketTimeoutException e) {
                    // nothing yet
                }
            }
            assertThat(got.toString()).contains("<stream:error><policy-violation ", "was not negotiated", "within 4 s");
            assertThat((System.nanoTime() - start) / 1e9).as("closed at the deadline, not by the idle timeout").isBetween(3.0, 15.0);
        }
    }

    @Test
    void anAccountBindsAtMostItsResourceLimit() throws Exception {
        try (var first = RawXmppClient.login(server.c2sPort, false, "frank", "Frank-pw-1", ScramHash.SHA_256, null);
             var second = RawXmppClient.login(server.c2sPort, false, "frank", "Frank-pw-1", ScramHash.SHA_256, null)) {
            assertThat(first.transcript()).contains("<jid>frank@localhost/");
            assertThat(second.transcript()).contains("<resource-constraint ", "resources bound already").doesNotContain("<jid>");
        }
    }

    @Test
    void oneStreamCannotRestartSaslWithoutEnd() throws IOException {
        try (Socket s = connect(server.c2sPort)) {
            s.getOutputStream().write(OPEN.getBytes(StandardCharsets.UTF_8));
            StringBuilder auths = new StringBuilder();
            for (int i = 0; i < 50; i++) auths.append("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>biwsbj1mcmFuayxyPWFiYw==</auth>");
            try {
                s.getOutputStream().write(auths.toString().getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                // closed before it read them all
            }
            String answer = readToEnd(s);
            assertThat(answer).contains("<stream:error><policy-violation ", "Too many authentication attempts on one stream");
            assertThat(answer.split("<failure", -1).length - 1).as("answers before the stream closes").isLessThanOrEqualTo(5);
        }
    }

    @Test
    void anInvalidListenerOnAFreshServerIsReportedAsNotListening() {
        assertThat(server.log()).contains("config: config/stack/01-transport/strata.listener~broken.cfg:3: [strata.listener~broken] port: "
                + "99999 is above the maximum 65535; strata.listener~broken has no configuration until this is fixed", "this instance, e.g. a listener, does not exist");
    }
}
