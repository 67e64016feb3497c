package dev.strata.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

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

/**
 * The interoperability matrix's Smack 4.5 rows (this module has Smack 4.5 for the conformance
 * suite; the end-to-end tests have 4.4): Smack's defaults, told only to trust the server's
 * certificate, over STARTTLS and direct TLS against TLS 1.3 and TLS 1.2 servers.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InteropSmack45IT {
    private StrataServer tls13;
    private StrataServer tls12;

    @BeforeAll
    void start() throws Exception {
        tls13 = InteropMatrix.server("interop45-tls13", false, "smack");
        tls12 = InteropMatrix.server("interop45-tls12", true, "smack");
        SmackConfiguration.setDefaultReplyTimeout(15_000);
    }

    @AfterAll
    void stop() throws Exception {
        if (tls13 != null) tls13.close();
        if (tls12 != null) tls12.close();
    }

    @Test
    void smack45LogsInWithItsDefaultsAndTheReadmeShowsHow() throws Exception {
        List<InteropMatrix.Row> rows = new ArrayList<>();
        for (StrataServer server : List.of(tls13, tls12)) {
            for (boolean direct : new boolean[] {false, true}) {
                rows.add(InteropMatrix.login(server, direct, "Smack " + SmackConfiguration.getVersion().split(" ")[0], "smack", () -> smack(server, direct)));
            }
        }
        InteropMatrix.assertReadmeHas(rows);
    }

    /** InteropMatrixIT's Smack login, compiled here against Smack 4.5: the two versions cannot share one class file. */
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
}
