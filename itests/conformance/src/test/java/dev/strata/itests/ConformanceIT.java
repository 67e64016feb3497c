package dev.strata.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.logging.FileHandler;
import java.util.logging.Handler;
import java.util.logging.LogManager;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

import javax.net.ssl.X509TrustManager;

import org.igniterealtime.smack.inttest.Configuration;
import org.jivesoftware.smack.ConnectionConfiguration.SecurityMode;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smack.tcp.XMPPTCPConnectionConfiguration;
import org.jivesoftware.smackx.bytestreams.socks5.packet.Bytestream;
import org.jivesoftware.smackx.disco.ServiceDiscoveryManager;
import org.jivesoftware.smackx.pep.PepManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The Smack Integration Test Framework against the assembled distribution, STARTTLS required, its
 * self-signed certificate pinned (trusted alone): once with accounts made by in-band registration (XEP-0077), once
 * with accounts made by an administrator's ad-hoc commands (XEP-0133). Any failed test fails the
 * build; the results go to {@code target/sint-results.md} (the README's conformance table is copied
 * from it).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConformanceIT {
    private static final String ADMIN = "sint-admin";
    private static final String ADMIN_PASSWORD = "sint-Admin-Pw-1";

    /**
     * Tests disabled by name, each because the test is wrong about the specification; the comment
     * cites the section that proves it. Empty: no test needs it so far.
     */
    private static final Set<String> WRONG_ABOUT_THE_SPEC = Set.of();

    /**
     * Tests not run because the client, not the server, fails them; each with the client fault. They
     * are listed with the figures, never counted as passed.
     */
    static final Map<String, String> CLIENT_FAULTS = Map.of(
            "ModularXmppClientToServerConnectionLowLevelIntegrationTest.testDisconnectAfterConnect",
            "connects a ModularXmppClientToServerConnection, whose STARTTLS races with itself (see KINDS_NOT_RUN)",
            // The server refuses the third user with service-unavailable as §7.2.9 asks, and the test checks that
            // first; then it waits for that user's participant listener to see the user's own presence, which
            // only comes through when Smack's asynchronous listener happens to handle the error presence before
            // join() removes the room's listeners (the test's own comment: "This is not watertight"). Measured:
            // failed 3 of 8 runs against Strata, passing alone or failing alone at random.
            "MultiUserChatOccupantIntegrationTest.mucMaxUsersLimitJoinRoomTest",
            "after the refusal it checks, waits for a presence that arrives only if Smack's listener wins a race with its own join() (see ConformanceIT)",
            // Bob queries his archive on his connection a millisecond after Alice's connection sent her message: it
            // counts only if the server archived her message before reading his query, which a server that handles
            // connections one at a time does, and Strata, which handles them in parallel, does not (alone: 0 found).
            // It also expects nothing else with Alice in Bob's archive, while the class's own setup exchanged the
            // OMEMO session-building messages under the default 'roster' preference, which are archived (3 found).
            // The archive and the stanza ids work; see the MAM tests and MamIT.
            "OmemoMamDecryptionTest.mamDecryptionTest",
            "queries Bob's archive on his connection a millisecond after Alice's connection sent the message, and expects the class's own setup messages not to be archived (see ConformanceIT)");

    /**
     * SINT classes that need PEP (XEP-0163) but, unlike its OX and OMEMO classes, do not check for it:
     * against a server without PEP they time out instead of reporting themselves impossible. Where the
     * server does not announce PEP (the same check as SINT's, PepManager.isSupported) they are recorded
     * impossible with that reason; once PEP is there they run like the rest.
     */
    private static final Set<String> NEED_PEP_UNCHECKED = Set.of("GeolocationIntegrationTest", "MoodIntegrationTest",
            "UserTuneIntegrationTest");

    /**
     * SINT's connection kinds that are not run, and why. SINT runs its low-level tests once per kind
     * and the rest over the default kind ({@code tcp}, Smack's XMPPTCPConnection).
     */
    static final Map<String, String> KINDS_NOT_RUN = new TreeMap<>(Map.of(
            // Smack 4.5.0-beta5's experimental ModularXmppClientToServerConnection loses its own write
            // interest after <proceed/> (XmppTcpTransportModule.EstablishTlsState.transitionInto queues
            // OP_WRITE|OP_READ from the connect thread while the reactor thread, which just parsed
            // <proceed/>, queues OP_READ after it in SmackReactor.pendingSetInterestOps): the ClientHello
            // is never sent and the connection waits for a TLS handshake it never began. Measured: 8 to
            // 11 of 60 STARTTLS connections stall, with TLS 1.3 and with TLS 1.2 alike; the server never
            // receives a ClientHello from them. A client race, not a server fault, so the kind is not run.
            "modular", "Smack's modular connection races with itself after <proceed/> and never starts TLS (see ConformanceIT)",
            "modular-nocompress", "Smack's modular connection races with itself after <proceed/> and never starts TLS (see ConformanceIT)"));

    /** What passes today in each mode; a run below it lost a feature. */
    private static final int PASSED_AT_LEAST = 119;

    private static StrataServer server;
    private static X509TrustManager trust;
    private static final Map<String, String> impossible = new HashMap<>();
    private static final StringBuilder results = new StringBuilder();

    @BeforeAll
    static void start() throws Exception {
        Path home = StrataServer.freshHome("sint");
        Path data = home.resolve("data");
        // SINT's MamIntegrationTest asks for default='always' through MamManager.enableMamForAllMessages,
        // which in Smack 4.5.0-beta5 fails on any server whose default is not 'always' already (it
        // reads the prefs IQ's stanza namespace, jabber:client, as the MAM version); Strata's is
        // 'roster', so this server archives everything, as Prosody's and ejabberd's defaults do
        Files.writeString(home.resolve("config/stack/06-storage/strata.xep0313.cfg"), "default.policy = always\n");
        StrataServer.Result reg = StrataServer.register(home, data, ADMIN, "localhost", ADMIN_PASSWORD);
        assertThat(reg.exit()).as("register the admin: %s", reg).isZero();
        server = StrataServer.start(home, data, Map.of("STRATA_ADMIN_JID", ADMIN + "@localhost"));
        trust = pinned(certificate(data));
        Sint.connectTo(server.c2sPort, server.httpsPort, trust);
        Sint.trustByDefault(certificate(data), home);
        quietJul(StrataServer.WORK.resolve("sint.log"));
        probeUncheckedNeeds();
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) server.close();
        String report = System.getProperty("sint.report");
        if (report != null) {
            Files.createDirectories(Path.of(report).getParent());
            Files.writeString(Path.of(report), results);
        }
    }

    @Test
    @Order(1)
    void inBandRegistration() throws Exception {
        Sint.Report r = Sint.run(() -> base(), notRun(), impossible);
        judge("accounts by in-band registration (XEP-0077)", r);
    }

    @Test
    @Order(2)
    void adminCommands() throws Exception {
        Sint.Report r = Sint.run(() -> base().setAdminAccountUsernameAndPassword(ADMIN, ADMIN_PASSWORD), notRun(), impossible);
        judge("accounts by admin commands (XEP-0133)", r);
    }

    private static Set<String> notRun() {
        Set<String> all = new HashSet<>(WRONG_ABOUT_THE_SPEC);
        all.addAll(CLIENT_FAULTS.keySet());
        return all;
    }

    private static Configuration.Builder base() {
        try {
            Configuration.Builder b = Configuration.builder();
            if (Boolean.getBoolean("sint.debug")) b.setDebugger("console"); // every stanza on stdout
            return b.setService("localhost").setSecurityMode("required")
                    .setReplyTimeout("10000").setDefaultConnection("tcp").setDisabledConnections(String.join(",", KINDS_NOT_RUN.keySet()));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static void judge(String mode, Sint.Report r) {
        String text = render(mode, r);
        System.out.println(text);
        results.append(text).append('\n');
        assertThat(r.of(Sint.Kind.FAILED)).as("SINT failures (%s):\n%s", mode, text).isEmpty();
        assertThat(r.count(Sint.Kind.PASSED)).as("tests passed (a floor: raise it as features land)").isGreaterThanOrEqualTo(PASSED_AT_LEAST);
    }

    /** The run as Markdown: the figures, then each failure and each impossible test with its reason. */
    static String render(String mode, Sint.Report r) {
        StringBuilder sb = new StringBuilder();
        sb.append("## SINT 4.5.0-beta5, ").append(mode).append("\n\n");
        sb.append("`").append(r.summary()).append("` (SINT started ").append(r.attempts()).append(" time(s); not run: ")
                .append(CLIENT_FAULTS.size()).append(" test(s) and ").append(KINDS_NOT_RUN.size()).append(" connection kinds, listed below)\n\n");
        sb.append("### Failed\n\n");
        if (r.of(Sint.Kind.FAILED).isEmpty()) sb.append("None.\n");
        for (Sint.Outcome o : r.of(Sint.Kind.FAILED)) {
            sb.append("- `").append(o.test()).append("` [").append(o.spec()).append("]: ").append(o.reason().replace('\n', ' ')).append('\n');
            if (o.error() != null) {
                StringWriter w = new StringWriter();
                o.error().printStackTrace(new PrintWriter(w));
                sb.append("\n  ```\n  ").append(w.toString().lines().limit(12).reduce((a, b) -> a + "\n  " + b).orElse("")).append("\n  ```\n");
            }
        }
        sb.append("\n### Impossible (feature absent)\n\n");
        if (r.of(Sint.Kind.IMPOSSIBLE).isEmpty()) sb.append("None.\n");
        for (Sint.Outcome o : r.of(Sint.Kind.IMPOSSIBLE)) {
            sb.append("- `").append(o.test()).append("` [").append(o.spec()).append("]: ").append(o.reason()).append('\n');
        }
        sb.append("\n### Not run\n\n");
        KINDS_NOT_RUN.forEach((kind, why) -> sb.append("- connection kind `").append(kind).append("`: ").append(why).append('\n'));
        new TreeMap<>(CLIENT_FAULTS).forEach((test, why) -> sb.append("- `").append(test).append("`: ").append(why).append('\n'));
        sb.append("\n### Passed on retry (alone, on fresh accounts)\n\n");
        if (r.retried().isEmpty()) sb.append("None.\n");
        for (Sint.Outcome o : r.retried()) sb.append("- `").append(o.test()).append("`: ").append(o.reason().replace('\n', ' ')).append('\n');
        sb.append("\n### Passed\n\n");
        for (Sint.Outcome o : r.of(Sint.Kind.PASSED)) {
            sb.append("- `").append(o.test()).append("` [").append(o.spec()).append("]\n");
        }
        return sb.toString();
    }

    /**
     * For the SINT tests that need a server feature without checking for it (they time out or fail
     * instead of reporting themselves impossible), asks the server the way Smack would and records
     * them impossible when the feature is absent; once it is built they run like the rest.
     */
    private static void probeUncheckedNeeds() throws Exception {
        XMPPTCPConnection c = new XMPPTCPConnection(XMPPTCPConnectionConfiguration.builder().setXmppDomain("localhost")
                .setHostAddress(InetAddress.getLoopbackAddress()).setPort(server.c2sPort).setCustomX509TrustManager(trust)
                .setSecurityMode(SecurityMode.required).build());
        try {
            c.connect().login(ADMIN, ADMIN_PASSWORD);
            // SINT's own PEP checks (OX, OMEMO) ask this: does the account's bare JID have the pubsub/pep identity?
            if (!PepManager.getInstanceFor(c).isSupported()) {
                NEED_PEP_UNCHECKED.forEach(t -> impossible.put(t, "needs PEP (XEP-0163), which the server does not announce"));
            }
            // fileTransferTest negotiates SOCKS5 Bytestreams (XEP-0065). Over a loopback connection Smack offers no
            // streamhost of its own (Socks5BytestreamManager.getLocalStreamHost skips loopback addresses), so it
            // needs a proxy among the server's disco#items; without one the sender gives up before the offer.
            if (ServiceDiscoveryManager.getInstanceFor(c).findServices(Bytestream.NAMESPACE, true, false).isEmpty()) {
                impossible.put("FileTransferIntegrationTest.fileTransferTest",
                        "needs a SOCKS5 Bytestreams proxy (XEP-0065) on the server, which it does not offer yet");
            }
        } finally {
            c.disconnect();
        }
    }

    /** The self-signed certificate the server made for {@code localhost} at its first start, as an admin would pin it. */
    private static X509Certificate certificate(Path data) throws Exception {
        try (var in = Files.newInputStream(data.resolve("certs/localhost.crt"))) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    /** Trusts exactly {@code pinned} (any other certificate fails the handshake); host names are still verified by Smack. */
    static X509TrustManager pinned(X509Certificate pinned) {
        return new X509TrustManager() {
            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                if (chain.length == 0 || !chain[0].equals(pinned)) throw new CertificateException("not the pinned certificate");
            }

            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                throw new CertificateException("no client certificates");
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
    }

    /** SINT logs every step through java.util.logging; that goes to a file, the summary to the console. */
    private static void quietJul(Path file) throws IOException {
        LogManager.getLogManager().reset();
        Logger root = Logger.getLogger("");
        Handler h = new FileHandler(file.toString());
        h.setFormatter(new SimpleFormatter());
        root.addHandler(h);
        // Smack's reader and writer threads die on an unexpected exception; keep their traces with the rest
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> root.log(java.util.logging.Level.SEVERE, "uncaught in " + t.getName(), e));
    }
}
