package dev.strata.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jivesoftware.smack.roster.Roster;
import org.jivesoftware.smack.roster.RosterEntry;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jxmpp.jid.BareJid;
import org.jxmpp.jid.impl.JidCreate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import dev.strata.api.auth.ScramHash;
import dev.strata.bench.RawXmppClient;

/** RFC 6121 §2 roster management with Smack (two resources, pushes) and its error cases with a raw client. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RosterIT {
    private StrataServer server;

    @BeforeAll
    void start() throws Exception {
        Path home = StrataServer.freshHome("roster-it");
        for (String u : new String[] {"romeo", "juliet", "tybalt"}) {
            assertThat(StrataServer.register(home, home.resolve("data"), u, "localhost", u + "-pw-1").exit()).isZero();
        }
        server = StrataServer.start(home, home.resolve("data"), Map.of());
    }

    @AfterAll
    void stop() throws Exception {
        if (server != null) server.close();
    }

    private XMPPTCPConnection login(String user, String resource) throws Exception {
        XMPPTCPConnection c = Clients.smack(server, user, user + "-pw-1", resource);
        // Smack loads the roster at login by itself; a second load (reloadAndWait) could race it: its
        // result, handled on Smack's async executor after a push, replaced the roster with a stale one
        StrataServer.await(Duration.ofSeconds(10), "the roster loaded at login", () -> Roster.getInstanceFor(c).isLoaded());
        return c;
    }

    @Test
    void itemsAreAddedUpdatedAndRemovedWithPushesToEveryInterestedResource() throws Exception {
        XMPPTCPConnection phone = login("romeo", "phone");
        XMPPTCPConnection laptop = login("romeo", "laptop");
        BareJid juliet = JidCreate.bareFrom("juliet@localhost");
        try {
            Roster.getInstanceFor(phone).createItem(juliet, "Juliet", new String[] {"Capulets"});
            // RFC 6121 §2.3.2 orders neither the pushes nor the result: the phone's own push may come after its result
            StrataServer.await(Duration.ofSeconds(10), "the push to the laptop and to the phone itself", () -> {
                RosterEntry e = Roster.getInstanceFor(laptop).getEntry(juliet);
                return e != null && "Juliet".equals(e.getName()) && e.getGroups().stream().anyMatch(g -> g.getName().equals("Capulets"))
                        && Roster.getInstanceFor(phone).getEntry(juliet) != null;
            });
            Roster.getInstanceFor(phone).getEntry(juliet).setName("My love");
            StrataServer.await(Duration.ofSeconds(10), "the rename pushed", () -> "My love".equals(Roster.getInstanceFor(laptop).getEntry(juliet).getName()));

            XMPPTCPConnection later = login("romeo", "tablet");
            assertThat(Roster.getInstanceFor(later).getEntry(juliet).getName()).as("stored").isEqualTo("My love");
            later.disconnect();

            Roster.getInstanceFor(phone).removeEntry(Roster.getInstanceFor(phone).getEntry(juliet));
            StrataServer.await(Duration.ofSeconds(10), "the removal pushed", () -> Roster.getInstanceFor(laptop).getEntry(juliet) == null);
        } finally {
            phone.disconnect();
            laptop.disconnect();
        }
    }

    @Test
    void versioningAndErrorCases() throws Exception {
        try (var l = RawXmppClient.login(server.c2sPort, false, "juliet", "juliet-pw-1", ScramHash.SHA_256, null)) {
            String full = Clients.exchange(l, "<iq type='get' id='r1'><query xmlns='jabber:iq:roster' ver=''/></iq>");
            Matcher m = Pattern.compile("ver=\"(\\d+)\"").matcher(full);
            assertThat(m.find()).as(full).isTrue();
            String unchanged = Clients.exchange(l, "<iq type='get' id='r2'><query xmlns='jabber:iq:roster' ver='" + m.group(1) + "'/></iq>");
            assertThat(unchanged).as("RFC 6121 §2.6.3: an empty result").contains("id=\"r2\"").doesNotContain("<query");

            assertThat(Clients.exchange(l, "<iq type='set' id='e1'><query xmlns='jabber:iq:roster'><item jid='a@localhost'/><item jid='b@localhost'/></query></iq>"))
                    .contains("<bad-request ");
            assertThat(Clients.exchange(l, "<iq type='set' id='e2'><query xmlns='jabber:iq:roster'><item jid='a@localhost'><group>x</group><group>x</group></item></query></iq>"))
                    .contains("<bad-request ");
            assertThat(Clients.exchange(l, "<iq type='set' id='e3'><query xmlns='jabber:iq:roster'><item jid='a@localhost'><group></group></item></query></iq>"))
                    .contains("<not-acceptable ");
            assertThat(Clients.exchange(l, "<iq type='set' id='e4'><query xmlns='jabber:iq:roster'><item jid='nobody@localhost' subscription='remove'/></query></iq>"))
                    .contains("<item-not-found ");
            assertThat(Clients.exchange(l, "<iq type='get' id='e5' to='romeo@localhost'><query xmlns='jabber:iq:roster'/></iq>"))
                    .contains("<forbidden ");
        }
    }

    /**
     * The roster limit holds on every path that adds an item: outgoing subscription requests to
     * ever new contacts (a roster grew to 22,300 items that way) stop at max.items with
     * not-allowed, like roster sets do.
     */
    @Test
    void subscriptionRequestsCannotGrowARosterPastItsLimit() throws Exception {
        int applied = server.log().split("config: strata.roster applied", -1).length;
        assertThat(server.ssh("config:set strata.roster max.items 40").exit()).isZero();
        StrataServer.await(Duration.ofSeconds(20), "the new limit applied", () -> server.log().split("config: strata.roster applied", -1).length > applied);
        try (var l = dev.strata.bench.RawXmppClient.login(server.c2sPort, false, "tybalt", "tybalt-pw-1", dev.strata.api.auth.ScramHash.SHA_256, null)) {
            StringBuilder burst = new StringBuilder();
            for (int i = 0; i < 60; i++) burst.append("<presence type='subscribe' to='stranger").append(i).append("@example.net' id='s").append(i).append("'/>");
            l.socket().getOutputStream().write(burst.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            String roster = Clients.exchange(l, "<iq type='get' id='count'><query xmlns='jabber:iq:roster'/></iq>");
            assertThat(roster.split("<item ", -1).length - 1).as("items in the roster").isEqualTo(40);
            String errors = Clients.exchange(l, "<iq type='get' id='again'><query xmlns='jabber:iq:roster'/></iq>");
            assertThat(roster + errors).contains("type=\"error\"", "not-allowed");
        } finally {
            assertThat(server.ssh("config:set strata.roster max.items 2000").exit()).isZero();
        }
    }
}
