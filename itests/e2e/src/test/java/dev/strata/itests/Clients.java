package dev.strata.itests;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jivesoftware.smack.ConnectionConfiguration.SecurityMode;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smack.tcp.XMPPTCPConnectionConfiguration;

import dev.strata.bench.RawXmppClient;

/** Client helpers shared by the protocol tests (XmppIT checks certificate trust; these tests are about the protocols). */
final class Clients {
    private Clients() {
    }

    /** A Smack connection over STARTTLS, not logged in yet. */
    static XMPPTCPConnection smack(StrataServer server) throws Exception {
        XMPPTCPConnection c = new XMPPTCPConnection(XMPPTCPConnectionConfiguration.builder().setXmppDomain("localhost")
                .setHostAddress(InetAddress.getLoopbackAddress()).setPort(server.c2sPort).setSecurityMode(SecurityMode.required)
                .setCustomX509TrustManager(RawXmppClient.TRUST_ALL_CERTIFICATES).setHostnameVerifier((h, s) -> true).build());
        c.connect();
        return c;
    }

    /** A Smack connection over STARTTLS, logged in. */
    static XMPPTCPConnection smack(StrataServer server, String user, String password, String resource) throws Exception {
        XMPPTCPConnection c = smack(server);
        c.login(user, password, org.jxmpp.jid.parts.Resourcepart.from(resource));
        return c;
    }

    /** Sends one IQ on a raw session and reads until its answer (a closing or self-closed iq) arrives. */
    static String exchange(RawXmppClient.Login l, String iq) throws IOException {
        l.socket().getOutputStream().write(iq.getBytes(StandardCharsets.UTF_8));
        l.socket().getOutputStream().flush();
        // the answer is the IQ with the request's id (RFC 6120 §8.2.3), not whatever IQ comes first (a push)
        Matcher id = Pattern.compile("<iq [^>]*id=['\"]([^'\"]+)['\"]").matcher(iq);
        String answer = id.find() ? "(?s).*<iq [^>]*id=\"" + Pattern.quote(id.group(1)) + "\"[^>]*(/>|>.*?</iq>).*" : "(?s).*(</iq>|<iq [^>]*/>).*";
        StringBuilder sb = new StringBuilder();
        byte[] buf = new byte[8192];
        while (!sb.toString().matches(answer)) {
            int n = l.socket().getInputStream().read(buf);
            if (n < 0) break;
            sb.append(new String(buf, 0, n, StandardCharsets.UTF_8));
        }
        return sb.toString();
    }
}
