package dev.strata.itests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.jivesoftware.smack.ConnectionListener;
import org.jivesoftware.smack.StanzaCollector;
import org.jivesoftware.smack.XMPPException;
import org.jivesoftware.smack.filter.AndFilter;
import org.jivesoftware.smack.filter.FromMatchesFilter;
import org.jivesoftware.smack.filter.MessageWithBodiesFilter;
import org.jivesoftware.smack.filter.StanzaTypeFilter;
import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.Presence;
import org.jivesoftware.smack.packet.StanzaBuilder;
import org.jivesoftware.smack.packet.StanzaError;
import org.jivesoftware.smack.roster.Roster;
import org.jivesoftware.smack.roster.RosterEntry;
import org.jivesoftware.smack.roster.packet.RosterPacket.ItemType;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.blocking.BlockingCommandManager;
import org.jivesoftware.smackx.commands.AdHocCommandManager;
import org.jivesoftware.smackx.commands.RemoteCommand;
import org.jivesoftware.smackx.xdata.form.FillableForm;
import org.jivesoftware.smackx.delay.packet.DelayInformation;
import org.jivesoftware.smackx.iqregister.AccountManager;
import org.jivesoftware.smackx.ping.PingManager;
import org.jxmpp.jid.BareJid;
import org.jxmpp.jid.EntityBareJid;
import org.jxmpp.jid.Jid;
import org.jxmpp.jid.impl.JidCreate;
import org.jxmpp.jid.parts.Localpart;
import org.jxmpp.jid.parts.Resourcepart;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import dev.strata.api.auth.ScramHash;
import dev.strata.bench.RawXmppClient;

/**
 * The IM core with Smack, as two people use it: register in band, subscribe to each other, see each
 * other's presence, messages to the bare JID (highest priority wins) and to a full JID, a message
 * to someone offline arriving with its delay stamp, blocking. The tests run in order on one server.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ImIT {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private StrataServer server;
    private EntityBareJid alice;
    private EntityBareJid bob;

    @BeforeAll
    void start() throws Exception {
        Roster.setDefaultSubscriptionMode(Roster.SubscriptionMode.accept_all);
        Path home = StrataServer.freshHome("im-it");
        // idle sessions release their XML parser after a second here (10 s by default)
        Files.writeString(home.resolve("config/stack/01-transport/strata.transport.c2s.cfg"), "parser.release.after = 1\n",
                StandardOpenOption.APPEND);
        assertThat(StrataServer.register(home, home.resolve("data"), "admin", "localhost", "admin-Pw-1").exit()).isZero();
        server = StrataServer.start(home, home.resolve("data"), Map.of("STRATA_ADMIN_JID", "admin@localhost"));
        alice = JidCreate.entityBareFrom("alice@localhost");
        bob = JidCreate.entityBareFrom("bob@localhost");
    }

    @AfterAll
    void stop() throws Exception {
        if (server != null) server.close();
    }

    private XMPPTCPConnection login(String user, String resource) throws Exception {
        return Clients.smack(server, user, user + "-Pw-1", resource);
    }

    private static Message chat(Jid to, String body) {
        return StanzaBuilder.buildMessage().to(to).ofType(Message.Type.chat).setBody(body).build();
    }

    private static StanzaCollector bodies(XMPPTCPConnection c) {
        return c.createStanzaCollector(new AndFilter(StanzaTypeFilter.MESSAGE, MessageWithBodiesFilter.INSTANCE));
    }

    /**
     * A marker for "nothing more arrives": a ping to the server and its answer. The server handles a
     * session's stanzas in order and writes to each connection in order, so whatever an earlier
     * stanza of this session caused to be written to {@code c} arrives before the pong.
     */
    private static void roundTrip(XMPPTCPConnection c) throws Exception {
        assertThat(PingManager.getInstanceFor(c).pingMyServer()).as("the server answers a ping").isTrue();
    }

    @Test
    @Order(1)
    void twoUsersRegisterInBandSubscribeAndSeeEachOthersPresence() throws Exception {
        for (String user : List.of("alice", "bob")) {
            XMPPTCPConnection c = Clients.smack(server);
            AccountManager.getInstance(c).createAccount(Localpart.from(user), user + "-Pw-1");
            c.disconnect();
        }
        XMPPTCPConnection a = login("alice", "home");
        XMPPTCPConnection b = login("bob", "phone");
        try {
            Roster ra = Roster.getInstanceFor(a);
            Roster rb = Roster.getInstanceFor(b);
            // loaded by Smack at login; a second load could race a push (see RosterIT.login)
            StrataServer.await(WAIT, "the rosters loaded at login", () -> ra.isLoaded() && rb.isLoaded());
            ra.createItemAndRequestSubscription(bob, "Bob", null); // bob's Smack accepts (accept_all)
            StrataServer.await(WAIT, "alice subscribed to bob", () -> type(ra, bob) == ItemType.to);
            StrataServer.await(WAIT, "bob's roster shows alice as 'from'", () -> type(rb, alice) == ItemType.from);
            rb.createItemAndRequestSubscription(alice, "Alice", null);
            StrataServer.await(WAIT, "both ways for alice", () -> type(ra, bob) == ItemType.both);
            StrataServer.await(WAIT, "both ways for bob", () -> type(rb, alice) == ItemType.both);
            StrataServer.await(WAIT, "alice sees bob available", () -> ra.getPresence(bob).isAvailable());
            StrataServer.await(WAIT, "bob sees alice available", () -> rb.getPresence(alice).isAvailable());

            b.sendStanza(StanzaBuilder.buildPresence().ofType(Presence.Type.available).setMode(Presence.Mode.away).setStatus("at lunch").build());
            StrataServer.await(WAIT, "alice sees bob's new status", () -> "at lunch".equals(ra.getPresence(bob).getStatus()));

            // a later login gets its contacts' presence at once (probes)
            XMPPTCPConnection a2 = login("alice", "tablet");
            try {
                Roster r2 = Roster.getInstanceFor(a2);
                StrataServer.await(WAIT, "the new resource learns bob's presence", () -> r2.getPresence(bob).isAvailable());
                StrataServer.await(WAIT, "bob sees alice's second resource", () -> rb.getAvailablePresences(alice).size() == 2);
            } finally {
                a2.disconnect();
            }
            StrataServer.await(WAIT, "bob sees alice's second resource go", () -> rb.getAvailablePresences(alice).size() == 1);
        } finally {
            a.disconnect();
            b.disconnect();
        }
    }

    private int priority(XMPPTCPConnection watcher, String bobsResource) {
        try {
            Presence p = Roster.getInstanceFor(watcher).getPresenceResource(JidCreate.fullFrom(bob, Resourcepart.from(bobsResource)));
            return p.isAvailable() ? p.getPriority() : Integer.MIN_VALUE;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static ItemType type(Roster r, BareJid jid) {
        RosterEntry e = r.getEntry(jid);
        return e == null ? null : e.getType();
    }

    @Test
    @Order(2)
    void bareJidMessagesGoToTheHighestPriorityAndFullJidMessagesExactlyThere() throws Exception {
        XMPPTCPConnection a = login("alice", "home");
        XMPPTCPConnection phone = login("bob", "phone");
        XMPPTCPConnection laptop = login("bob", "laptop");
        try {
            laptop.sendStanza(StanzaBuilder.buildPresence().ofType(Presence.Type.available).setPriority(10).build());
            phone.sendStanza(StanzaBuilder.buildPresence().ofType(Presence.Type.available).setPriority(1).build());
            StrataServer.await(WAIT, "alice sees bob's laptop at priority 10", () -> priority(a, "laptop") == 10);
            StrataServer.await(WAIT, "alice sees bob's phone at priority 1", () -> priority(a, "phone") == 1);
            try (StanzaCollector onPhone = bodies(phone); StanzaCollector onLaptop = bodies(laptop)) {
                a.sendStanza(chat(bob, "to the bare JID"));
                Message got = onLaptop.nextResult(WAIT.toMillis());
                assertThat((Object) got).as("the laptop (priority 10) gets it").isNotNull();
                assertThat(got.getBody()).isEqualTo("to the bare JID");
                a.sendStanza(chat(JidCreate.fullFrom(bob, Resourcepart.from("phone")), "to the phone"));
                Message direct = onPhone.nextResult(WAIT.toMillis());
                assertThat((Object) direct).isNotNull();
                assertThat(direct.getBody()).isEqualTo("to the phone");
                assertThat((Object) onPhone.pollResult()).as("the phone got only its own").isNull();
                assertThat((Object) onLaptop.pollResult()).as("the laptop did not get the phone's").isNull();
            }
            // equal priority: both get it
            phone.sendStanza(StanzaBuilder.buildPresence().ofType(Presence.Type.available).setPriority(10).build());
            StrataServer.await(WAIT, "phone at 10", () -> priority(a, "phone") == 10);
            try (StanzaCollector onPhone = bodies(phone); StanzaCollector onLaptop = bodies(laptop)) {
                a.sendStanza(chat(bob, "to both"));
                assertThat((Object) onPhone.nextResult(WAIT.toMillis())).isNotNull();
                assertThat((Object) onLaptop.nextResult(WAIT.toMillis())).isNotNull();
            }
        } finally {
            a.disconnect();
            phone.disconnect();
            laptop.disconnect();
        }
    }

    @Test
    @Order(3)
    void aMessageToSomeoneOfflineArrivesWithADelayStampAtTheNextLogin() throws Exception {
        XMPPTCPConnection a = login("alice", "home");
        Instant sent;
        try {
            StrataServer.await(WAIT, "bob is offline for alice", () -> !Roster.getInstanceFor(a).getPresence(bob).isAvailable());
            sent = Instant.now();
            try (StanzaCollector errors = a.createStanzaCollector(StanzaTypeFilter.MESSAGE)) {
                a.sendStanza(chat(bob, "while you were away"));
                roundTrip(a);
                assertThat((Object) errors.pollResult()).as("no bounce: it is stored").isNull();
            }
        } finally {
            a.disconnect();
        }
        XMPPTCPConnection b = Clients.smack(server);
        try (StanzaCollector inbox = bodies(b)) {
            b.login("bob", "bob-Pw-1", Resourcepart.from("phone"));
            Message m = inbox.nextResult(WAIT.toMillis());
            assertThat((Object) m).as("the offline message").isNotNull();
            assertThat(m.getBody()).isEqualTo("while you were away");
            assertThat(m.getFrom().asBareJid().toString()).isEqualTo("alice@localhost");
            DelayInformation delay = DelayInformation.from(m);
            assertThat(delay).as("XEP-0203 delay").isNotNull();
            assertThat(delay.getStamp().toInstant()).isBetween(sent.minusSeconds(2), Instant.now());
            assertThat(delay.getFrom()).isEqualTo("localhost");
        } finally {
            b.disconnect();
        }
        XMPPTCPConnection again = Clients.smack(server);
        try (StanzaCollector inbox = bodies(again)) {
            again.login("bob", "bob-Pw-1", Resourcepart.from("phone"));
            roundTrip(again); // after the initial presence, at which offline messages are delivered
            assertThat((Object) inbox.pollResult()).as("delivered once, then forgotten").isNull();
        } finally {
            again.disconnect();
        }
    }

    @Test
    @Order(4)
    void blockingOneUserStopsHisMessagesAndPresence() throws Exception {
        XMPPTCPConnection a = login("alice", "home");
        XMPPTCPConnection b = login("bob", "phone");
        try {
            Roster ra = Roster.getInstanceFor(a);
            StrataServer.await(WAIT, "alice sees bob", () -> ra.getPresence(bob).isAvailable());
            BlockingCommandManager.getInstanceFor(b).blockContacts(List.of(alice));
            assertThat(BlockingCommandManager.getInstanceFor(b).getBlockList()).containsExactly(alice);
            StrataServer.await(WAIT, "alice no longer sees bob", () -> !ra.getPresence(bob).isAvailable());
            try (StanzaCollector inbox = bodies(b); StanzaCollector back = a.createStanzaCollector(StanzaTypeFilter.MESSAGE);
                    StanzaCollector bobsErrors = b.createStanzaCollector(StanzaTypeFilter.MESSAGE)) {
                a.sendStanza(chat(bob, "can you hear me?"));
                Message bounce = back.nextResult(WAIT.toMillis());
                assertThat((Object) bounce).as("alice is told").isNotNull();
                assertThat(bounce.getError().getCondition()).isEqualTo(StanzaError.Condition.service_unavailable);
                roundTrip(b); // alice's bounce came: her message was handled; a delivery to bob would precede his pong
                assertThat((Object) inbox.pollResult()).as("bob gets nothing").isNull();
                b.sendStanza(chat(alice, "and you?"));
                Message refused = bobsErrors.nextResult(WAIT.toMillis());
                assertThat((Object) refused).as("XEP-0191 §3.5: bob cannot write to whom he blocked").isNotNull();
                assertThat(refused.getError().getCondition()).isEqualTo(StanzaError.Condition.not_acceptable);
                assertThat((Object) refused.getError().getExtension("blocked", "urn:xmpp:blocking:errors")).isNotNull();
            }
            // bob's presence changes do not reach alice
            try (StanzaCollector fromBob = a.createStanzaCollector(new AndFilter(StanzaTypeFilter.PRESENCE, FromMatchesFilter.createBare(bob)))) {
                b.sendStanza(StanzaBuilder.buildPresence().ofType(Presence.Type.available).setStatus("hidden").build());
                roundTrip(b); // the server has handled bob's presence
                roundTrip(a); // and whatever it wrote to alice for it has arrived
                assertThat((Object) fromBob.pollResult()).as("no presence from bob").isNull();
            }
            assertThat(ra.getPresence(bob).isAvailable()).isFalse();

            BlockingCommandManager.getInstanceFor(b).unblockAll();
            StrataServer.await(WAIT, "alice sees bob again", () -> ra.getPresence(bob).isAvailable());
            try (StanzaCollector inbox = bodies(b)) {
                a.sendStanza(chat(bob, "better now?"));
                Message m = inbox.nextResult(WAIT.toMillis());
                assertThat((Object) m).isNotNull();
                assertThat(m.getBody()).isEqualTo("better now?");
            }
        } finally {
            a.disconnect();
            b.disconnect();
        }
    }

    @Test
    @Order(5)
    void unsubscribingEndsThePresenceFlow() throws Exception {
        XMPPTCPConnection a = login("alice", "home");
        XMPPTCPConnection b = login("bob", "phone");
        try {
            Roster ra = Roster.getInstanceFor(a);
            Roster rb = Roster.getInstanceFor(b);
            StrataServer.await(WAIT, "alice sees bob", () -> ra.getPresence(bob).isAvailable());
            ra.removeEntry(ra.getEntry(bob)); // RFC 6121 §2.5.2: unsubscribe and unsubscribed on alice's behalf
            StrataServer.await(WAIT, "bob's item for alice loses both directions", () -> type(rb, alice) == ItemType.none);
            StrataServer.await(WAIT, "bob no longer sees alice", () -> !rb.getPresence(alice).isAvailable());
        } finally {
            a.disconnect();
            b.disconnect();
        }
    }

    @Test
    @Order(6)
    void serviceAdministrationAddsUsersThatCanLogInAndOnlyForAdmins() throws Exception {
        XMPPTCPConnection admin = login("admin", "console");
        try {
            var domain = JidCreate.domainBareFrom("localhost");
            AdHocCommandManager commands = AdHocCommandManager.getAddHocCommandsManager(admin);
            assertThat(commands.discoverCommands(domain).getItems()).extracting(i -> i.getNode()).contains(
                    "http://jabber.org/protocol/admin#add-user", "http://jabber.org/protocol/admin#delete-user",
                    "http://jabber.org/protocol/admin#change-user-password", "http://jabber.org/protocol/admin#get-online-users-list",
                    "http://jabber.org/protocol/admin#announce");

            RemoteCommand add = commands.getRemoteCommand(domain, "http://jabber.org/protocol/admin#add-user");
            add.execute();
            FillableForm form = add.getForm() == null ? null : new FillableForm(add.getForm());
            assertThat((Object) form).isNotNull();
            form.setAnswer("accountjid", "carol@localhost");
            form.setAnswer("password", "carol-Pw-1");
            form.setAnswer("password-verify", "carol-Pw-1");
            add.complete(form);
            assertThat(add.isCompleted()).isTrue();
            XMPPTCPConnection carol = login("carol", "fresh");
            assertThat(carol.isAuthenticated()).as("the new account logs in").isTrue();

            try (StanzaCollector inbox = carol.createStanzaCollector(StanzaTypeFilter.MESSAGE)) {
                RemoteCommand online = commands.getRemoteCommand(domain, "http://jabber.org/protocol/admin#get-online-users-list");
                online.execute();
                FillableForm f = new FillableForm(online.getForm());
                f.setAnswer("max_items", "none");
                online.complete(f);
                assertThat(online.getForm().getField("onlineuserjids").getValues()).extracting(Object::toString)
                        .contains("admin@localhost", "carol@localhost");

                RemoteCommand announce = commands.getRemoteCommand(domain, "http://jabber.org/protocol/admin#announce");
                announce.execute();
                FillableForm a = new FillableForm(announce.getForm());
                a.setAnswer("subject", "Maintenance");
                a.setAnswer("announcement", "Back in five minutes");
                announce.complete(a);
                Message m = inbox.nextResult(WAIT.toMillis());
                assertThat((Object) m).isNotNull();
                assertThat(m.getBody()).isEqualTo("Back in five minutes");
            } finally {
                carol.disconnect();
            }

            // a user who is not an admin sees no commands and may not run one
            XMPPTCPConnection alice = login("alice", "home");
            try {
                AdHocCommandManager mine = AdHocCommandManager.getAddHocCommandsManager(alice);
                assertThat(mine.discoverCommands(domain).getItems()).isEmpty();
                RemoteCommand forbidden = mine.getRemoteCommand(domain, "http://jabber.org/protocol/admin#add-user");
                assertThatThrownBy(forbidden::execute).isInstanceOf(XMPPException.XMPPErrorException.class)
                        .satisfies(e -> assertThat(((XMPPException.XMPPErrorException) e).getStanzaError().getCondition())
                                .isEqualTo(StanzaError.Condition.forbidden));
            } finally {
                alice.disconnect();
            }
        } finally {
            admin.disconnect();
        }
    }

    @Test
    @Order(7)
    void slixmppUsersSubscribeChatGoOfflineBlockAndStoreTheirData() {
        for (String user : List.of("anna", "bert")) {
            assertThat(server.ssh("user:add " + user + "@localhost " + user + "-Pw-1").exit()).isZero();
        }
        StrataServer.Result r = StrataServer.run(List.of("/usr/bin/python3", Path.of("src/test/python/slix_im.py").toAbsolutePath().toString(),
                Integer.toString(server.c2sPort), "-Pw-1", "anna", "bert"), Map.of(), Duration.ofSeconds(120));
        assertThat(r.out()).as("%s", r).contains(
                "SUBSCRIBED both", "PRESENCE seen both ways",
                "BARE-ON-LAPTOP to the bare JID", "FULL-ON phone to the phone", "LAPTOP-EXTRA 0",
                "OFFLINE while you were away delay 20", "from localhost",
                "BLOCKLIST anna@localhost", "BLOCKED-ERROR service-unavailable", "BOB-INBOX 0", "UNBLOCKED",
                "VCARD Alice Liddell", "PRIVATE dark mode", "DONE");
    }

    /** Each IM module unloaded while clients are connected: its namespace answers service-unavailable, nobody is dropped, and it comes back. */
    @Test
    @Order(8)
    void unloadingAnyImModuleDisconnectsNobodyAndItsNamespaceAnswersServiceUnavailable() throws Exception {
        XMPPTCPConnection a = login("alice", "home");
        XMPPTCPConnection b = login("bob", "phone");
        AtomicInteger dropped = new AtomicInteger();
        for (XMPPTCPConnection c : List.of(a, b)) {
            c.addConnectionListener(new ConnectionListener() {
                @Override
                public void connectionClosedOnError(Exception e) {
                    dropped.incrementAndGet();
                }
            });
        }
        Map<String, String> probes = new java.util.LinkedHashMap<>();
        probes.put("rfc-6121-roster", "<iq type='get' id='p'><query xmlns='jabber:iq:roster'/></iq>");
        probes.put("xep-0191-blocking", "<iq type='get' id='p'><blocklist xmlns='urn:xmpp:blocking'/></iq>");
        probes.put("xep-0054-vcard", "<iq type='get' id='p' to='alice@localhost'><vCard xmlns='vcard-temp'/></iq>");
        probes.put("xep-0049-private", "<iq type='get' id='p'><query xmlns='jabber:iq:private'><x xmlns='urn:example'/></query></iq>");
        probes.put("xep-0012-last", "<iq type='get' id='p' to='localhost'><query xmlns='jabber:iq:last'/></iq>");
        probes.put("xep-0092-version", "<iq type='get' id='p' to='localhost'><query xmlns='jabber:iq:version'/></iq>");
        probes.put("xep-0202-time", "<iq type='get' id='p' to='localhost'><time xmlns='urn:xmpp:time'/></iq>");
        probes.put("xep-0050-commands", "<iq type='set' id='p' to='localhost'><command xmlns='http://jabber.org/protocol/commands' node='x' action='execute'/></iq>");
        probes.put("xep-0077-register", "<iq type='get' id='p'><query xmlns='jabber:iq:register'/></iq>");
        probes.put("xep-0280-carbons", "<iq type='set' id='p'><enable xmlns='urn:xmpp:carbons:2'/></iq>");
        probes.put("xep-0030-disco", "<iq type='get' id='p' to='localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
        try (var raw = RawXmppClient.login(server.c2sPort, false, "alice", "alice-Pw-1", ScramHash.SHA_256, null)) {
            for (var probe : probes.entrySet()) {
                String module = probe.getKey();
                assertThat(Clients.exchange(raw, probe.getValue())).as("%s loaded", module).doesNotContain("service-unavailable");
                assertThat(server.ssh("module:unload " + module).exit()).as("unload %s", module).isZero();
                assertThat(Clients.exchange(raw, probe.getValue())).as("%s unloaded", module).contains("<service-unavailable ");
                assertThat(server.ssh("module:load " + module).exit()).as("load %s", module).isZero();
                String again = StrataServer.awaitValue(WAIT, module + " answering again", () -> {
                    try {
                        return Clients.exchange(raw, probe.getValue());
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }, x -> !x.contains("service-unavailable"));
                assertThat(again).isNotEmpty();
            }
            // modules without an IQ namespace of their own: presence, offline storage, administration, stream management
            // (Smack enabled it on both connections: their acks go on while it is away)
            for (String module : List.of("rfc-6121-presence", "xep-0160-offline", "xep-0133-admin", "xep-0198-sm")) {
                assertThat(server.ssh("module:unload " + module).exit()).as("unload %s", module).isZero();
                try (StanzaCollector inbox = bodies(b)) {
                    a.sendStanza(chat(JidCreate.fullFrom(bob, Resourcepart.from("phone")), "still here without " + module));
                    assertThat((Object) inbox.nextResult(WAIT.toMillis())).as("messages flow without %s", module).isNotNull();
                }
                assertThat(server.ssh("module:load " + module).exit()).as("load %s", module).isZero();
            }
        }
        assertThat(dropped.get()).as("connections dropped").isZero();
        assertThat(a.isAuthenticated() && b.isAuthenticated()).isTrue();
        try (StanzaCollector inbox = bodies(b)) {
            a.sendStanza(chat(bob, "after all that"));
            assertThat((Object) inbox.nextResult(WAIT.toMillis())).isNotNull();
        } finally {
            a.disconnect();
            b.disconnect();
        }
    }

    /**
     * An idle session releases its XML parser and builds a new one from its stream header when the
     * client speaks again: the default namespace still applies, and an element that stays half-sent
     * over the release period is not cut.
     */
    @Test
    @Order(7)
    void aSessionThatWasIdleStillUnderstandsItsClient() throws Exception {
        try (RawXmppClient.Login l = RawXmppClient.login(server.c2sPort, false, "alice", "alice-Pw-1", ScramHash.SHA_256, null)) {
            assertThat(l.success()).as(l.transcript()).isTrue();
            Thread.sleep(2_500);
            assertThat(Clients.exchange(l, "<iq type='get' id='v1' to='localhost'><query xmlns='jabber:iq:version'/></iq>"))
                    .contains("id=\"v1\"", "type=\"result\"", "<name>Strata</name>");
            var out = l.socket().getOutputStream();
            out.write("<iq type='get' id='v2' to='localhost'><query xm".getBytes(StandardCharsets.UTF_8));
            out.flush();
            Thread.sleep(2_500);
            assertThat(Clients.exchange(l, "lns='jabber:iq:version'/></iq>")).contains("id=\"v2\"", "type=\"result\"", "<name>Strata</name>");
            Thread.sleep(2_500);
            assertThat(Clients.exchange(l, " \n<iq type='get' id='v3' to='localhost'><query xmlns='jabber:iq:version'/></iq>"))
                    .contains("id=\"v3\"", "type=\"result\"");
        }
    }

    /**
     * A deleted account leaves its contacts' rosters: they get a roster push removing it and its
     * unsubscribe/unsubscribed, and whoever registers the name next has an empty roster, does not
     * receive their presence and cannot read their last activity.
     */
    @Test
    @Order(9)
    void aDeletedAccountsNameInheritsNoContacts() throws Exception {
        for (String user : List.of("heir", "keeper")) assertThat(server.ssh("user:add " + user + "@localhost " + user + "-Pw-1").exit()).isZero();
        EntityBareJid heir = JidCreate.entityBareFrom("heir@localhost"), keeper = JidCreate.entityBareFrom("keeper@localhost");
        XMPPTCPConnection h = login("heir", "phone");
        XMPPTCPConnection k = login("keeper", "pc");
        try {
            Roster rh = Roster.getInstanceFor(h), rk = Roster.getInstanceFor(k);
            StrataServer.await(WAIT, "the rosters loaded at login", () -> rh.isLoaded() && rk.isLoaded());
            rh.createItemAndRequestSubscription(keeper, "Keeper", null);
            StrataServer.await(WAIT, "keeper's roster shows heir as 'from'", () -> type(rk, heir) == ItemType.from);
            rk.createItemAndRequestSubscription(heir, "Heir", null);
            StrataServer.await(WAIT, "both ways", () -> type(rk, heir) == ItemType.both && type(rh, keeper) == ItemType.both);
            StrataServer.await(WAIT, "keeper sees heir available", () -> rk.getPresence(heir).isAvailable());
            StanzaCollector told = k.createStanzaCollector(new AndFilter(StanzaTypeFilter.PRESENCE, FromMatchesFilter.createBare(heir)));

            try {
                AccountManager.getInstance(h).deleteAccount();
            } catch (org.jivesoftware.smack.SmackException.NotConnectedException e) {
                // the IQ result and the stream error that ends the deleted account's session (not-authorized) come one
                // right after the other; Smack sometimes handles the error before it hands the result to its collector
                assertThat(e.getMessage()).contains("The account was deleted");
            }
            StrataServer.await(WAIT, "heir's session to end", () -> !h.isConnected());
            StrataServer.await(WAIT, "keeper's roster to lose heir (a roster push)", () -> rk.getEntry(heir) == null);
            List<Presence.Type> types = new java.util.ArrayList<>();
            for (Presence p; (p = told.nextResult(2_000)) != null && types.size() < 3; ) types.add(p.getType());
            told.cancel();
            assertThat(types).as("what keeper's client was told").contains(Presence.Type.unavailable, Presence.Type.unsubscribe, Presence.Type.unsubscribed);
            assertThat(rk.getPresence(heir).isAvailable()).isFalse();

            // someone else takes the name
            XMPPTCPConnection c = Clients.smack(server);
            AccountManager.getInstance(c).createAccount(Localpart.from("heir"), "Squatter-Pw-1");
            c.disconnect();
            XMPPTCPConnection squatter = Clients.smack(server, "heir", "Squatter-Pw-1", "laptop");
            try {
                Roster rs = Roster.getInstanceFor(squatter);
                StrataServer.await(WAIT, "the new roster loaded", rs::isLoaded);
                assertThat(rs.getEntries()).as("the new account's roster").isEmpty();
                assertThatThrownBy(() -> org.jivesoftware.smackx.iqlast.LastActivityManager.getInstanceFor(squatter).getLastActivity(keeper))
                        .isInstanceOfSatisfying(XMPPException.XMPPErrorException.class,
                                e -> assertThat(e.getStanzaError().getCondition()).isEqualTo(StanzaError.Condition.forbidden));
                k.sendStanza(StanzaBuilder.buildPresence().ofType(Presence.Type.available).setStatus("still here").build());
                roundTrip(k);
                roundTrip(squatter);
                assertThat(rs.getPresence(keeper).isAvailable()).as("keeper's presence does not reach the new heir").isFalse();
            } finally {
                squatter.disconnect();
            }
        } finally {
            h.disconnect();
            k.disconnect();
        }
    }
}
