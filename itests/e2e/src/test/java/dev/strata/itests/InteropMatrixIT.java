package dev.strata.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

import org.jivesoftware.smack.ConnectionConfiguration.SecurityMode;
import org.jivesoftware.smack.SmackConfiguration;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smack.tcp.XMPPTCPConnectionConfiguration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import dev.strata.itests.StrataServer.Result;

/**
 * The interoperability matrix: each client logs in with its own defaults (only told to trust the
 * server's self-signed certificate), over STARTTLS and direct TLS, against a server offering
 * TLS 1.3 and one limited to TLS 1.2. What the server logged for each login (SASL profile,
 * mechanism, channel binding, refused attempts) makes the rows ({@link InteropMatrix}); the README
 * carries them, and this test fails when they differ (the rows it made are in target/interop-matrix.md).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InteropMatrixIT {
    private static final Path SLIXMPP = Path.of("src/test/python/slix_client.py").toAbsolutePath();
    private static final Path XMPPJS = Path.of("src/test/js/xmppjs_client.mjs").toAbsolutePath();
    private static final Path STROPHE_SOURCE = Path.of("src/test/c/strophe_client.c").toAbsolutePath();
    private static final Path STROPHE = Path.of("target/strophe_client").toAbsolutePath();
    private String stropheVersion;

    private StrataServer tls13;
    private StrataServer tls12;

    @BeforeAll
    void start() throws Exception {
        // libstrophe's own client is a few lines of C against Debian's libstrophe-dev (.ci/run installs it)
        Result version = StrataServer.run(List.of("pkg-config", "--modversion", "libstrophe"), Map.of(), Duration.ofSeconds(30));
        assertThat(version.exit()).as("libstrophe-dev (pkg-config): %s", version).isZero();
        stropheVersion = version.out().strip();
        Result cc = StrataServer.run(List.of("sh", "-c", "gcc -O2 -o " + STROPHE + " " + STROPHE_SOURCE + " $(pkg-config --cflags --libs libstrophe)"),
                Map.of(), Duration.ofSeconds(120));
        assertThat(cc.exit()).as("compiling the libstrophe client: %s", cc).isZero();
        tls13 = InteropMatrix.server("interop-tls13", false, "slix", "smack", "xmppjs", "strophe");
        tls12 = InteropMatrix.server("interop-tls12", true, "slix", "smack", "xmppjs", "strophe");
        SmackConfiguration.setDefaultReplyTimeout(15_000);
    }

    @AfterAll
    void stop() throws Exception {
        if (tls13 != null) tls13.close();
        if (tls12 != null) tls12.close();
    }

    @Test
    void everyClientLogsInWithItsDefaultsAndTheReadmeShowsHow() throws Exception {
        List<InteropMatrix.Row> rows = new ArrayList<>();
        for (StrataServer server : List.of(tls13, tls12)) {
            for (boolean direct : new boolean[] {false, true}) {
                rows.add(InteropMatrix.login(server, direct, "slixmpp 1.8.3 (Debian 12)", "slix", () -> slixmpp(server, direct)));
                rows.add(InteropMatrix.login(server, direct, "Smack 4.4.8", "smack", () -> smack(server, direct)));
                rows.add(InteropMatrix.login(server, direct, "xmpp.js (@xmpp/client 0.14.0)", "xmppjs", () -> xmppJs(server, direct)));
                rows.add(InteropMatrix.login(server, direct, "libstrophe " + stropheVersion + " (Debian 12)", "strophe", () -> strophe(server, direct)));
            }
        }
        InteropMatrix.assertReadmeHas(rows);
    }

    private static String slixmpp(StrataServer server, boolean direct) {
        Result r = StrataServer.run(List.of("/usr/bin/python3", SLIXMPP.toString(), "slix@localhost/matrix", "slix-Pw-1",
                Integer.toString(direct ? server.c2sTlsPort : server.c2sPort), direct ? "direct" : "starttls", "default"), Map.of(), Duration.ofSeconds(60));
        assertThat(r.out()).as("slixmpp: %s", r).contains("BOUND slix@localhost/matrix", "DONE");
        return r.out();
    }

    private static String smack(StrataServer server, boolean direct) throws Exception {
        TrustManagerFactory tmf = StrataServer.trusting(server.data.resolve("certs/localhost.crt"));
        SSLContext trust = SSLContext.getInstance("TLS");
        trust.init(null, tmf.getTrustManagers(), null);
        XMPPTCPConnectionConfiguration.Builder b = XMPPTCPConnectionConfiguration.builder().setXmppDomain("localhost")
                .setHostAddress(InetAddress.getLoopbackAddress()).setUsernameAndPassword("smack", "smack-Pw-1")
                .setCustomX509TrustManager((X509TrustManager) tmf.getTrustManagers()[0]);
        if (direct) b.setPort(server.c2sTlsPort).setSocketFactory(trust.getSocketFactory()).setSecurityMode(SecurityMode.disabled);
        else b.setPort(server.c2sPort);
        XMPPTCPConnection c = new XMPPTCPConnection(b.build());
        try {
            c.connect().login();
            assertThat(c.isAuthenticated()).isTrue();
            return "bound " + c.getUser();
        } finally {
            c.disconnect();
        }
    }

    private static String xmppJs(StrataServer server, boolean direct) {
        String service = direct ? "xmpps://localhost:" + server.c2sTlsPort : "xmpp://localhost:" + server.c2sPort;
        Result r = StrataServer.run(List.of("node", XMPPJS.toString(), service, "localhost", "xmppjs", "xmppjs-Pw-1", "matrix", "2"),
                Map.of("NODE_EXTRA_CA_CERTS", server.data.resolve("certs/localhost.crt").toString()), Duration.ofSeconds(90));
        assertThat(r.out()).as("xmpp.js: %s", r).contains("DONE");
        return r.out();
    }

    private static String strophe(StrataServer server, boolean direct) {
        Result r = StrataServer.run(List.of(STROPHE.toString(), "strophe@localhost", "strophe-Pw-1", Integer.toString(direct ? server.c2sTlsPort : server.c2sPort),
                direct ? "direct" : "starttls", server.data.resolve("certs/localhost.crt").toString()), Map.of(), Duration.ofSeconds(60));
        assertThat(r.out()).as("libstrophe: %s", r).contains("CONNECTED strophe@localhost/", "SECURE 1", "DONE");
        return r.out();
    }
}
