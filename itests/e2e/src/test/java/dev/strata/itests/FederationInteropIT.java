package dev.strata.itests;

import static org.assertj.core.api.Assertions.assertThat;

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
import org.jxmpp.jid.parts.Resourcepart;


/**
 * Federation between Strata (alpha.test) and Debian's Prosody 0.12 on this machine, each on
 * 127.0.0.1 with ports of its own, both finding the other through the test's DNS server (dnsmasq on
 * 127.0.0.77:53 with their {@code _xmpp-server._tcp} SRV records; Prosody in a mount namespace whose
 * resolv.conf names it). Prosody hosts three domains: prosody.test with a certificate from the test
 * authority both servers trust (SASL EXTERNAL both ways), dialback.test with a self-signed one
 * (dialback, which Strata's default policy allows, towards Strata; Strata's own certificate is good, so
 * SASL EXTERNAL the other way), and refused.test, self-signed too, which Strata lists in
 * {@code strata.s2s secure.domains} (no dialback without a valid certificate). Debian's ejabberd 23.01
 * the same way with ejabberd.test (test authority) and ejdialback.test (self-signed). Smack clients on
 * all servers exchange messages, presence subscriptions and pings.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FederationInteropIT {
    private static final String DNS_ADDRESS = "127.0.0.77";
    private StrataServer strata;
    private Prosody prosody;
    private Ejabberd ejabberd;
    private Dnsmasq dns;

    @BeforeAll
    void start() throws Exception {
        Roster.setDefaultSubscriptionMode(Roster.SubscriptionMode.accept_all);
        java.util.Set<Integer> ports = new java.util.HashSet<>();
        while (ports.size() < 5) ports.add(S2sIT.portBelowEphemeral());
        var it = ports.iterator();
        int strataS2s = it.next(), prosodyC2s = it.next(), prosodyS2s = it.next(), ejabberdC2s = it.next(), ejabberdS2s = it.next();
        Path work = StrataServer.WORK.resolve("federation-pki");
        StrataServer.deleteTree(work);
        TestPki pki = new TestPki(work);
        dns = Dnsmasq.start(work.resolve("dns"), DNS_ADDRESS, 53, List.of(
                "srv:_xmpp-server._tcp.alpha.test,strata.alpha.test," + strataS2s + ",0,0", "host:strata.alpha.test,127.0.0.1",
                "srv:_xmpp-server._tcp.conference.alpha.test,strata.alpha.test," + strataS2s + ",0,0",
                "srv:_xmpp-server._tcp.prosody.test,xmpp.prosody.test," + prosodyS2s + ",0,0",
                "srv:_xmpp-server._tcp.dialback.test,xmpp.prosody.test," + prosodyS2s + ",0,0",
                "srv:_xmpp-server._tcp.refused.test,xmpp.prosody.test," + prosodyS2s + ",0,0", "host:xmpp.prosody.test,127.0.0.1",
                "srv:_xmpp-server._tcp.ejabberd.test,xmpp.ejabberd.test," + ejabberdS2s + ",0,0",
                "srv:_xmpp-server._tcp.ejdialback.test,xmpp.ejabberd.test," + ejabberdS2s + ",0,0", "host:xmpp.ejabberd.test,127.0.0.1"));
        prosody = Prosody.start(pki, DNS_ADDRESS, prosodyC2s, prosodyS2s,
                List.of(new FederationPeer.Host("prosody.test", true), new FederationPeer.Host("dialback.test", false), new FederationPeer.Host("refused.test", false)),
                List.of(new String[] {"bob", "prosody.test", "bob-Pw-1"}, new String[] {"carol", "dialback.test", "carol-Pw-1"},
                        new String[] {"dave", "refused.test", "dave-Pw-1"}));
        ejabberd = Ejabberd.start(pki, DNS_ADDRESS, ejabberdC2s, ejabberdS2s,
                List.of(new FederationPeer.Host("ejabberd.test", true), new FederationPeer.Host("ejdialback.test", false)),
                List.of(new String[] {"erin", "ejabberd.test", "erin-Pw-1"}, new String[] {"frank", "ejdialback.test", "frank-Pw-1"}));

        Path home = StrataServer.freshHome("federation-strata");
        assertThat(StrataServer.register(home, home.resolve("data"), "alice", "alpha.test", "alice-Pw-1").exit()).isZero();
        pki.issue("alpha.test", home.resolve("data/certs"));
        Files.writeString(home.resolve("config/stack/02-stream/strata.s2s.cfg"), "trust.store = " + pki.caFile() + "\nsecure.domains = refused.test\ndomain.rates = dialback.test=20\n");
        Files.writeString(home.resolve("config/stack/01-transport/strata.transport.dns.cfg"), "servers = " + DNS_ADDRESS + "\n");
        strata = StrataServer.start(home, home.resolve("data"), Map.of("STRATA_DOMAIN", "alpha.test", "STRATA_ADMIN_JID", "admin@alpha.test",
                "STRATA_S2S_PORT", Integer.toString(strataS2s), "STRATA_S2S_TLS_PORT", Integer.toString(S2sIT.portBelowEphemeral())));
    }

    @AfterAll
    void stop() throws Exception {
        if (strata != null) strata.close();
        if (prosody != null) prosody.close();
        if (ejabberd != null) ejabberd.close();
        if (dns != null) dns.close();
    }

    private static XMPPTCPConnection login(int port, String domain, String user) throws Exception {
        return Clients.smack(port, domain, user, "interop");
    }

    /**
     * alice (Strata) and {@code user} on the other server: a message each way, alice's subscription
     * to {@code user} with the presence that follows, and a ping to each other's server.
     */
    private static void chatSubscribeAndPing(XMPPTCPConnection alice, XMPPTCPConnection other, String otherDomain) throws Exception {
        String otherBare = other.getUser().asBareJid().toString();
        StanzaCollector atOther = bodies(other), atAlice = bodies(alice);
        say(alice, otherBare + "/interop", "hello " + otherDomain);
        Message got = atOther.nextResult(30_000);
        assertThat(got).as("alice's message reached " + otherBare).isNotNull();
        assertThat(got.getBody()).isEqualTo("hello " + otherDomain);
        assertThat(got.getFrom().toString()).isEqualTo("alice@alpha.test/interop");
        say(other, "alice@alpha.test", "hello Strata");
        Message back = atAlice.nextResult(30_000);
        assertThat(back).as(otherBare + "'s message reached alice on Strata").isNotNull();
        assertThat(back.getFrom().toString()).isEqualTo(otherBare + "/interop");

        EntityBareJid otherJid = JidCreate.entityBareFrom(otherBare);
        Roster ra = Roster.getInstanceFor(alice);
        ra.createItemAndRequestSubscription(otherJid, otherBare, null);
        StrataServer.awaitValue(Duration.ofSeconds(30), "alice's subscription to " + otherBare, () -> {
            RosterEntry e = ra.getEntry(otherJid);
            return e == null ? "none" : e.getType().name();
        }, t -> t.equals("to") || t.equals("both"));
        StrataServer.awaitValue(Duration.ofSeconds(30), otherBare + "'s presence at alice", () -> ra.getPresence(otherJid), Presence::isAvailable);
        assertThat(PingManager.getInstanceFor(alice).ping(JidCreate.from(otherDomain), 20_000)).as(otherDomain + " answers alice's ping").isTrue();
        assertThat(PingManager.getInstanceFor(other).ping(JidCreate.from("alpha.test"), 20_000)).as("Strata answers " + otherBare + "'s ping").isTrue();
    }

    private static StanzaCollector bodies(XMPPTCPConnection c) {
        return c.createStanzaCollector(new AndFilter(StanzaTypeFilter.MESSAGE, MessageWithBodiesFilter.INSTANCE));
    }

    private static StanzaCollector errors(XMPPTCPConnection c) {
        return c.createStanzaCollector(st -> st instanceof Message m && m.getType() == Message.Type.error);
    }

    private static void say(XMPPTCPConnection from, String to, String body) throws Exception {
        from.sendStanza(StanzaBuilder.buildMessage().to(JidCreate.from(to)).ofType(Message.Type.chat).setBody(body).build());
    }

    @Test
    void strataAndProsodyAuthenticateWithCertificatesBothWays() throws Exception {
        XMPPTCPConnection alice = login(strata.c2sPort, "alpha.test", "alice");
        XMPPTCPConnection bob = login(prosody.c2sPort, "prosody.test", "bob");
        try {
            chatSubscribeAndPing(alice, bob, "prosody.test");

            // Strata found Prosody through its SRV record, authenticated with SASL EXTERNAL and asked for a bidirectional stream
            // (XEP-0288, Prosody's mod_s2s_bidi): Prosody's stanzas to alpha.test come back over it
            assertThat(strata.log()).contains("Server-to-server stream alpha.test -> prosody.test ready (xmpp.prosody.test/127.0.0.1:" + prosody.s2sPort)
                    .containsPattern("Server-to-server stream alpha\\.test -> prosody\\.test ready \\([^)]*, TLSv1\\.3, SASL EXTERNAL\\)");
            assertThat(strata.ssh("s2s:list").out()).containsPattern("out alpha\\.test -> prosody\\.test ready [^\\n]*SASL EXTERNAL bidirectional");
            assertThat(prosody.log()).contains("Accepting SASL EXTERNAL identity from alpha.test", "Requested bidirectional stream");
        } finally {
            alice.disconnect();
            bob.disconnect();
        }
    }

    /** The other server's user writes to alice first (its server opens the stream, here with dialback), alice answers. */
    private static void theyWriteFirst(XMPPTCPConnection alice, StanzaCollector atAlice, XMPPTCPConnection other) throws Exception {
        String otherFull = other.getUser().toString();
        StanzaCollector atOther = bodies(other);
        say(other, "alice@alpha.test/interop", "from a self-signed domain");
        Message got = atAlice.nextResult(30_000);
        assertThat(got).as(otherFull + "'s message reached alice through dialback").isNotNull();
        assertThat(got.getFrom().toString()).isEqualTo(otherFull);
        say(alice, otherFull, "and back");
        Message answer = atOther.nextResult(30_000);
        assertThat(answer).as("alice's answer reached " + otherFull).isNotNull();
    }

    @Test
    void aDomainWithoutAValidCertificateAuthenticatesWithDialback() throws Exception {
        XMPPTCPConnection alice = login(strata.c2sPort, "alpha.test", "alice");
        XMPPTCPConnection carol = login(prosody.c2sPort, "dialback.test", "carol");
        try {
            StanzaCollector atAlice = bodies(alice);
            theyWriteFirst(alice, atAlice, carol);

            // strata.s2s domain.rates = dialback.test=20: a burst of 20, then 20 a second, all delivered in order
            long t0 = System.nanoTime();
            for (int i = 0; i < 60; i++) say(carol, "alice@alpha.test/interop", "burst " + i);
            for (int i = 0; i < 60; i++) {
                Message m = atAlice.nextResult(30_000);
                assertThat(m).as("burst message %d", i).isNotNull();
                assertThat(m.getBody()).isEqualTo("burst " + i);
            }
            assertThat((System.nanoTime() - t0) / 1e9).as("60 messages at 20/s after a burst of 20 take about 2 s").isGreaterThan(1.6);
            assertThat(strata.log()).contains("dialback.test: the certificate does not validate", "Server-to-server stream dialback.test -> alpha.test from")
                    .containsPattern("dialback\\.test -> alpha\\.test from [^\\n]*: dialback valid")
                    // the other way Strata's own certificate is good for Prosody: SASL EXTERNAL
                    .containsPattern("Server-to-server stream alpha\\.test -> dialback\\.test ready \\([^)]*, SASL EXTERNAL\\)");
        } finally {
            alice.disconnect();
            carol.disconnect();
        }
    }

    @Test
    void aSecureDomainWithoutAValidCertificateIsRefusedBothWays() throws Exception {
        XMPPTCPConnection alice = login(strata.c2sPort, "alpha.test", "alice");
        XMPPTCPConnection dave = login(prosody.c2sPort, "refused.test", "dave");
        try {
            StanzaCollector atAlice = bodies(alice), daveErrors = errors(dave), aliceErrors = errors(alice);
            say(dave, "alice@alpha.test/interop", "let me in");
            Message refused = daveErrors.nextResult(40_000);
            assertThat(refused).as("Prosody bounced dave's message: Strata refused its dialback").isNotNull();
            Message leaked = atAlice.nextResult(1_000);
            assertThat(leaked).as("nothing from refused.test reached alice").isNull();
            assertThat(strata.log()).contains("refused.test must present a valid certificate here");

            say(alice, "dave@refused.test", "can you hear me?");
            Message bounce = aliceErrors.nextResult(40_000);
            assertThat(bounce).as("Strata bounced alice's message to refused.test").isNotNull();
            assertThat(bounce.getError().getCondition()).isEqualTo(StanzaError.Condition.remote_server_not_found);
            assertThat(bounce.getError().getDescriptiveText()).contains("refused.test must present a valid certificate", "the certificate does not validate");
        } finally {
            alice.disconnect();
            dave.disconnect();
        }
    }

    @Test
    void strataAndEjabberdAuthenticateWithCertificatesBothWays() throws Exception {
        XMPPTCPConnection alice = login(strata.c2sPort, "alpha.test", "alice");
        XMPPTCPConnection erin = login(ejabberd.c2sPort, "ejabberd.test", "erin");
        try {
            chatSubscribeAndPing(alice, erin, "ejabberd.test");

            assertThat(strata.log()).containsPattern("Server-to-server stream alpha\\.test -> ejabberd\\.test ready \\(xmpp\\.ejabberd\\.test/[^)]*, SASL EXTERNAL\\)")
                    .contains("Server-to-server stream ejabberd.test -> alpha.test from", ": SASL EXTERNAL (TLSv1.");
        } finally {
            alice.disconnect();
            erin.disconnect();
        }
    }

    @Test
    void anEjabberdDomainWithoutAValidCertificateAuthenticatesWithDialback() throws Exception {
        XMPPTCPConnection alice = login(strata.c2sPort, "alpha.test", "alice");
        XMPPTCPConnection frank = login(ejabberd.c2sPort, "ejdialback.test", "frank");
        try {
            theyWriteFirst(alice, bodies(alice), frank);
            assertThat(strata.log()).containsPattern("ejdialback\\.test -> alpha\\.test from [^\\n]*: dialback valid")
                    .containsPattern("Server-to-server stream alpha\\.test -> ejdialback\\.test ready \\([^)]*, SASL EXTERNAL\\)");
        } finally {
            alice.disconnect();
            frank.disconnect();
        }
    }

    @Test
    void aRemoteContactCanBeBlockedAndTheOperatorClosesStreams() throws Exception {
        XMPPTCPConnection alice = login(strata.c2sPort, "alpha.test", "alice");
        XMPPTCPConnection bob = login(prosody.c2sPort, "prosody.test", "bob");
        try {
            StanzaCollector atAlice = bodies(alice), atBob = bodies(bob), bobErrors = errors(bob), aliceErrors = errors(alice);
            var blocking = org.jivesoftware.smackx.blocking.BlockingCommandManager.getInstanceFor(alice);
            blocking.blockContacts(List.of(JidCreate.from("bob@prosody.test")));
            // XEP-0191 §3.5: nothing from a blocked JID is delivered, here when it comes from another server; the sender hears an error
            say(bob, "alice@alpha.test/interop", "are you there?");
            Message refused = bobErrors.nextResult(30_000);
            assertThat(refused).as("bob's message to alice, who blocked him, came back as an error across servers").isNotNull();
            assertThat(refused.getError().getCondition()).isEqualTo(StanzaError.Condition.service_unavailable);
            Message leaked = atAlice.nextResult(1_000);
            assertThat(leaked).as("nothing from the blocked bob reached alice").isNull();
            // §3.6: alice's own message to him is refused by her server
            say(alice, "bob@prosody.test/interop", "blocked, but I write anyway");
            Message notAcceptable = aliceErrors.nextResult(10_000);
            assertThat(notAcceptable).isNotNull();
            assertThat(notAcceptable.getError().getCondition()).isEqualTo(StanzaError.Condition.not_acceptable);
            blocking.unblockContacts(List.of(JidCreate.from("bob@prosody.test")));

            // s2s:close ends the streams with prosody.test; the next stanza opens new ones
            String closed = strata.ssh("s2s:close prosody.test").out();
            assertThat(closed).containsPattern("Closed \\d+ streams? with prosody\\.test");
            assertThat(strata.ssh("s2s:list").out()).doesNotContain("alpha.test -> prosody.test ready");
            say(alice, "bob@prosody.test/interop", "after the operator closed our streams");
            Message after = atBob.nextResult(30_000);
            assertThat(after).as("a new stream carried alice's next message").isNotNull();
            assertThat(after.getBody()).isEqualTo("after the operator closed our streams");
        } finally {
            alice.disconnect();
            bob.disconnect();
        }
    }

    /** A Prosody user in a room of Strata's group chat service (conference.alpha.test), across servers both ways. */
    @Test
    void aProsodyUserTalksInAStrataRoom() throws Exception {
        XMPPTCPConnection alice = login(strata.c2sPort, "alpha.test", "alice");
        XMPPTCPConnection bob = login(prosody.c2sPort, "prosody.test", "bob");
        try {
            EntityBareJid room = JidCreate.entityBareFrom("lobby@conference.alpha.test");
            var atAlice = org.jivesoftware.smackx.muc.MultiUserChatManager.getInstanceFor(alice).getMultiUserChat(room);
            atAlice.create(Resourcepart.from("alice")).makeInstant();
            var atBob = org.jivesoftware.smackx.muc.MultiUserChatManager.getInstanceFor(bob).getMultiUserChat(room);
            atBob.join(atBob.getEnterConfigurationBuilder(Resourcepart.from("bob")).requestNoHistory().build());
            StrataServer.awaitValue(Duration.ofSeconds(20), "bob among the room's occupants at alice", atAlice::getOccupants,
                    o -> o.stream().anyMatch(j -> j.toString().equals("lobby@conference.alpha.test/bob")));
            atBob.sendMessage("hello from Prosody");
            Message m;
            do {
                m = atAlice.nextMessage(20_000); // the room's own messages (subject, status) come first
            } while (m != null && m.getBody() == null);
            assertThat(m).as("bob's groupchat message at alice").isNotNull();
            assertThat(m.getBody()).isEqualTo("hello from Prosody");
            assertThat(m.getFrom().toString()).isEqualTo("lobby@conference.alpha.test/bob");
            atAlice.sendMessage("welcome, bob");
            Message toBob;
            do {
                toBob = atBob.nextMessage(20_000);
            } while (toBob != null && !"welcome, bob".equals(toBob.getBody()));
            assertThat(toBob).as("alice's groupchat message reached bob on Prosody").isNotNull();
            assertThat(toBob.getFrom().toString()).isEqualTo("lobby@conference.alpha.test/alice");
            atBob.leave();
            atAlice.destroy("done", null);
        } finally {
            alice.disconnect();
            bob.disconnect();
        }
    }
}
