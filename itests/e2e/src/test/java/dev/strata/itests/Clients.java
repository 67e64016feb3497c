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

    /**
     * Converse.js (npm) in headless Chromium logs in as alice over {@code kind} ({@code websocket} or
     * {@code bosh}) at {@code url}, and chats with bob on slixmpp over TCP: bob answers what alice
     * types, and the answer shows in her chat.
     */
    static void converseTalksWithSlixmpp(StrataServer server, String kind, String url) throws Exception {
        java.nio.file.Path js = java.nio.file.Path.of("src/test/js").toAbsolutePath();
        org.assertj.core.api.Assertions.assertThat(js.resolve("node_modules/converse.js/dist/converse.min.js"))
                .as("npm ci --prefix itests/e2e/src/test/js (.ci/run does it)").exists();
        org.assertj.core.api.Assertions.assertThat(java.nio.file.Path.of("/usr/bin/chromium")).as("Debian's chromium (.ci/run installs it)").exists();
        Process peer = new ProcessBuilder("/usr/bin/python3", java.nio.file.Path.of("src/test/python/slix_web_peer.py").toAbsolutePath().toString(),
                Integer.toString(server.c2sPort), "-Pw-1", "alice", "bob").redirectError(StrataServer.WORK.resolve("slix_web_peer_" + kind + ".err").toFile()).start();
        try {
            var peerOut = new java.io.BufferedReader(new java.io.InputStreamReader(peer.getInputStream(), StandardCharsets.UTF_8));
            org.assertj.core.api.Assertions.assertThat(peerOut.readLine()).as("the slixmpp peer logs in").isEqualTo("READY");
            StrataServer.Result r = StrataServer.run(java.util.List.of("node", js.resolve("converse_run.mjs").toString(), kind, url, "alice@localhost",
                    "alice-Pw-1", "bob@localhost"), java.util.Map.of(), java.time.Duration.ofSeconds(150));
            org.assertj.core.api.Assertions.assertThat(r.out()).as("%s", r)
                    .contains("ONLINE alice@localhost", "SENT", "REPLY from slixmpp: hello from Converse over " + kind, "DONE").doesNotContain("FAILED");
            org.assertj.core.api.Assertions.assertThat(peer.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            org.assertj.core.api.Assertions.assertThat(peerOut.lines().reduce("", (a, b) -> a + b + "\n"))
                    .contains("GOT hello from Converse over " + kind + " FROM alice@localhost", "DONE");
        } finally {
            peer.destroyForcibly();
        }
    }

    /** A Smack connection over STARTTLS, not logged in yet. */
    static XMPPTCPConnection smack(StrataServer server) throws Exception {
        return smack(server.c2sPort, "localhost");
    }

    /** A Smack connection over STARTTLS to {@code domain} at 127.0.0.1:{@code port} (any server: Strata, Prosody, ejabberd), not logged in yet. */
    static XMPPTCPConnection smack(int port, String domain) throws Exception {
        XMPPTCPConnection c = new XMPPTCPConnection(XMPPTCPConnectionConfiguration.builder().setXmppDomain(domain)
                .setHostAddress(InetAddress.getLoopbackAddress()).setPort(port).setSecurityMode(SecurityMode.required)
                .setCustomX509TrustManager(RawXmppClient.TRUST_ALL_CERTIFICATES).setHostnameVerifier((h, s) -> true).build());
        c.connect();
        return c;
    }

    /** The same, logged in as {@code user} with the tests' password convention ({@code user + "-Pw-1"}). */
    static XMPPTCPConnection smack(int port, String domain, String user, String resource) throws Exception {
        XMPPTCPConnection c = smack(port, domain);
        c.login(user, user + "-Pw-1", org.jxmpp.jid.parts.Resourcepart.from(resource));
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
