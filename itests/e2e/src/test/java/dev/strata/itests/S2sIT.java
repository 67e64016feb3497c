package dev.strata.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.jivesoftware.smack.StanzaCollector;
import org.jivesoftware.smack.filter.AndFilter;
import org.jivesoftware.smack.filter.MessageWithBodiesFilter;
import org.jivesoftware.smack.filter.StanzaTypeFilter;
import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.Presence;
import org.jivesoftware.smack.packet.StanzaBuilder;
import org.jivesoftware.smack.packet.StanzaError;
import org.jivesoftware.smack.roster.Roster;
import org.jivesoftware.smack.roster.RosterEntry;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.ping.PingManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.jxmpp.jid.EntityBareJid;
import org.jxmpp.jid.impl.JidCreate;


/**
 * Server-to-server federation between two Strata servers on loopback, alpha.test and beta.test,
 * each with a certificate from a certificate authority the test makes, and each finding the other
 * through DNS: Debian's dnsmasq, started by the test, has alpha's {@code _xmpp-server._tcp} SRV record
 * (STARTTLS) and beta's {@code _xmpps-server._tcp} (direct TLS, XEP-0368) before its
 * {@code _xmpp-server._tcp}. Both streams authenticate with SASL EXTERNAL (each validates the other's
 * certificate against the test authority, {@code strata.s2s trust.store}); Smack clients on each
 * exchange a chat message each way, a presence subscription with the presence that follows and a
 * ping to the other server; a message to a domain whose SRV record says "no service" and one to a
 * domain DNS does not know bounce with {@code remote-server-not-found}. (Dialback, certificates that
 * do not validate and the policy against them: {@link FederationInteropIT}.)
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class S2sIT {
    private StrataServer alpha, beta;
    private Dnsmasq dns;

    @BeforeAll
    void start() throws Exception {
        Roster.setDefaultSubscriptionMode(Roster.SubscriptionMode.accept_all);
        // below the ephemeral range: the ports each server's other listeners get (bound at 0 and read back) cannot take them meanwhile
        java.util.Set<Integer> ports = new java.util.HashSet<>();
        while (ports.size() < 5) ports.add(portBelowEphemeral());
        var it = ports.iterator();
        int alphaS2s = it.next(), betaS2s = it.next(), betaS2sTls = it.next(), dnsPort = it.next(), alphaC2s = it.next();
        Path work = StrataServer.WORK.resolve("s2s-pki");
        StrataServer.deleteTree(work);
        TestPki pki = new TestPki(work);
        dns = Dnsmasq.start(work.resolve("dns"), "127.0.0.1", dnsPort, List.of(
                "srv:_xmpp-server._tcp.alpha.test,xmpp.alpha.test," + alphaS2s + ",0,0", "host:xmpp.alpha.test,127.0.0.1",
                "srv:_xmpp-client._tcp.alpha.test,xmpp.alpha.test," + alphaC2s + ",0,0",
                "srv:_xmpps-server._tcp.beta.test,s2s.beta.test," + betaS2sTls + ",0,0",
                "srv:_xmpp-server._tcp.beta.test,s2s.beta.test," + betaS2s + ",10,0", "host:s2s.beta.test,127.0.0.1",
                "srv:_xmpp-server._tcp.noxmpp.test"));
        alpha = server("s2s-alpha", "alpha.test", "alice", alphaS2s, portBelowEphemeral(), pki, dnsPort, Map.of("STRATA_C2S_PORT", Integer.toString(alphaC2s)));
        beta = server("s2s-beta", "beta.test", "bob", betaS2s, betaS2sTls, pki, dnsPort, Map.of());
    }

    /** A free loopback port in 22000–31999 (the ephemeral range starts at 32768; coturn's test relays use 21000–21999). */
    static int portBelowEphemeral() throws java.io.IOException {
        java.util.Random random = new java.util.Random();
        for (int i = 0; i < 200; i++) {
            int port = 22_000 + random.nextInt(10_000);
            try (java.net.ServerSocket probe = new java.net.ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                return port;
            } catch (java.io.IOException taken) {
                // try another
            }
        }
        throw new java.io.IOException("No free loopback port in 22000-31999");
    }

    private static StrataServer server(String name, String domain, String user, int s2sPort, int s2sTlsPort, TestPki pki, int dnsPort,
                                       Map<String, String> env) throws Exception {
        Path home = StrataServer.freshHome(name);
        assertThat(StrataServer.register(home, home.resolve("data"), user, domain, user + "-Pw-1").exit()).isZero();
        pki.issue(domain, home.resolve("data/certs"));
        Files.writeString(home.resolve("config/stack/02-stream/strata.s2s.cfg"), "trust.store = " + pki.caFile() + "\n");
        Files.writeString(home.resolve("config/stack/01-transport/strata.transport.dns.cfg"), "servers = 127.0.0.1:" + dnsPort + "\n");
        Map<String, String> all = new java.util.HashMap<>(env);
        all.putAll(Map.of("STRATA_DOMAIN", domain, "STRATA_ADMIN_JID", "admin@" + domain, "STRATA_S2S_PORT", Integer.toString(s2sPort),
                "STRATA_S2S_TLS_PORT", Integer.toString(s2sTlsPort)));
        return StrataServer.start(home, home.resolve("data"), all);
    }

    @AfterAll
    void stop() throws Exception {
        if (alpha != null) alpha.close();
        if (beta != null) beta.close();
        if (dns != null) dns.close();
    }

    private static XMPPTCPConnection login(StrataServer s, String domain, String user, String resource) throws Exception {
        return Clients.smack(s.c2sPort, domain, user, resource);
    }

    private static StanzaCollector bodies(XMPPTCPConnection c) {
        return c.createStanzaCollector(new AndFilter(StanzaTypeFilter.MESSAGE, MessageWithBodiesFilter.INSTANCE));
    }

    @Test
    void usersOnTwoServersChatSubscribeAndSeeEachOther() throws Exception {
        XMPPTCPConnection alice = login(alpha, "alpha.test", "alice", "laptop");
        XMPPTCPConnection bob = login(beta, "beta.test", "bob", "phone");
        try {
            StanzaCollector atBob = bodies(bob), atAlice = bodies(alice);
            alice.sendStanza(StanzaBuilder.buildMessage().to(JidCreate.from("bob@beta.test/phone")).ofType(Message.Type.chat)
                    .setBody("hello from alpha").build());
            Message got = atBob.nextResult(20_000);
            assertThat(got).as("alice's message reached bob on the other server").isNotNull();
            assertThat(got.getBody()).isEqualTo("hello from alpha");
            assertThat(got.getFrom().toString()).isEqualTo("alice@alpha.test/laptop");

            bob.sendStanza(StanzaBuilder.buildMessage().to(JidCreate.from("alice@alpha.test")).ofType(Message.Type.chat).setBody("hi from beta").build());
            Message back = atAlice.nextResult(20_000);
            assertThat(back).as("bob's answer reached alice").isNotNull();
            assertThat(back.getBody()).isEqualTo("hi from beta");
            assertThat(back.getFrom().toString()).isEqualTo("bob@beta.test/phone");

            // alpha found beta's direct TLS port first (priority 0 of _xmpps-server) and authenticated with SASL EXTERNAL; it asked
            // for a bidirectional stream (XEP-0288), so beta answers over it and opens none of its own
            assertThat(alpha.log()).containsPattern("Server-to-server stream alpha\\.test -> beta\\.test ready \\(s2s\\.beta\\.test/127\\.0\\.0\\.1:\\d+ direct TLS, TLSv1\\.3, SASL EXTERNAL\\)")
                    .doesNotContain("dialback valid");
            assertThat(beta.log()).contains("Server-to-server stream alpha.test -> beta.test from", ": SASL EXTERNAL")
                    .contains("Server-to-server stream beta.test -> alpha.test ready (bidirectional, over the peer's stream");
            assertThat(dns.queries()).contains("_xmpps-server._tcp.beta.test", "_xmpp-server._tcp.beta.test", "s2s.beta.test");
            assertThat(alpha.ssh("s2s:list").out()).contains("alpha.test -> beta.test ready", "TLSv1.3 SASL EXTERNAL bidirectional");
            assertThat(beta.ssh("s2s:list").out()).contains("alpha.test -> beta.test", "SASL EXTERNAL bidirectional").doesNotContain("out ");

            // RFC 6121 across servers: bob accepts (accept_all), alice sees his presence
            EntityBareJid bobJid = JidCreate.entityBareFrom("bob@beta.test");
            Roster ra = Roster.getInstanceFor(alice);
            ra.createItemAndRequestSubscription(bobJid, "Bob", null);
            StrataServer.awaitValue(Duration.ofSeconds(20), "alice's roster item for bob with a subscription to him", () -> {
                RosterEntry e = ra.getEntry(bobJid);
                return e == null ? "none" : e.getType().name();
            }, t -> t.equals("to") || t.equals("both"));
            StrataServer.awaitValue(Duration.ofSeconds(20), "bob's presence at alice", () -> ra.getPresence(bobJid), Presence::isAvailable);

            assertThat(PingManager.getInstanceFor(alice).ping(JidCreate.from("beta.test"), 20_000)).as("beta.test answers alice's ping").isTrue();

            for (String nowhere : List.of("carol@gamma.test", "dave@noxmpp.test")) {
                StanzaCollector errors = alice.createStanzaCollector(st -> st instanceof Message m && m.getType() == Message.Type.error);
                alice.sendStanza(StanzaBuilder.buildMessage().to(JidCreate.from(nowhere)).ofType(Message.Type.chat).setBody("anyone?").build());
                Message bounce = errors.nextResult(30_000);
                assertThat(bounce).as("a bounce for " + nowhere).isNotNull();
                assertThat(bounce.getError().getCondition()).isEqualTo(StanzaError.Condition.remote_server_not_found);
                if (nowhere.endsWith("noxmpp.test")) assertThat(bounce.getError().getDescriptiveText()).contains("offers no server-to-server service");
                errors.cancel();
            }
        } finally {
            alice.disconnect();
            bob.disconnect();
        }
    }

    /** As prosodyctl check dns/certs: each server checks its own domain (SRV, TLS, certificate) as another server would, and others'. */
    @Test
    void theServerChecksItsDomainsAsAnotherServerWould() {
        String own = alpha.ssh("s2s:check").out();
        assertThat(own).contains("alpha.test", "servers connect to, in order: [xmpp.alpha.test:", "clients connect to, in order: [xmpp.alpha.test:" + alpha.c2sPort + "]")
                .containsPattern("ok: xmpp\\.alpha\\.test 127\\.0\\.0\\.1:" + alpha.c2sPort + ", TLSv1\\.3, certificate valid for alpha\\.test [^\\n]*offers SASL")
                .containsPattern("ok: xmpp\\.alpha\\.test 127\\.0\\.0\\.1:\\d+, TLSv1\\.3, certificate valid for alpha\\.test \\(alpha\\.test, issued by CN=Strata Federation Test CA")
                .doesNotContain("problem:");
        String other = alpha.ssh("s2s:check beta.test").out();
        assertThat(other).containsPattern("ok: s2s\\.beta\\.test 127\\.0\\.0\\.1:\\d+ \\(direct TLS\\), TLSv1\\.3, certificate valid for beta\\.test")
                .contains("offers dialback bidi"); // no SASL: the check names no domain of its own
        assertThat(alpha.ssh("s2s:check noxmpp.test").out()).contains("problem: noxmpp.test offers no server-to-server service");

        StrataServer.Result dns = alpha.strata(Map.of(), "check", "dns");
        assertThat(dns.exit()).as("%s", dns).isZero();
        assertThat(dns.out()).contains("ok: xmpp.alpha.test");
        StrataServer.Result bad = alpha.strata(Map.of(), "check", "certs", "gamma.test");
        assertThat(bad.exit()).as("%s", bad).isEqualTo(1);
        assertThat(bad.out()).contains("problem:");
    }
}
