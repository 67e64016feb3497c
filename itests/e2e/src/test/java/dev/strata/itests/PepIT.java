package dev.strata.itests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.jivesoftware.smack.XMPPException.XMPPErrorException;
import org.jivesoftware.smack.packet.ExtensionElement;
import org.jivesoftware.smack.packet.Presence;
import org.jivesoftware.smack.packet.StanzaError;
import org.jivesoftware.smack.roster.Roster;
import org.jivesoftware.smack.roster.RosterEntry;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.disco.ServiceDiscoveryManager;
import org.jivesoftware.smackx.disco.packet.DiscoverInfo;
import org.jivesoftware.smackx.pep.PepManager;
import org.jivesoftware.smackx.pubsub.Item;
import org.jivesoftware.smackx.pubsub.LeafNode;
import org.jivesoftware.smackx.pubsub.PayloadItem;
import org.jivesoftware.smackx.pubsub.PubSubManager;
import org.jivesoftware.smackx.pubsub.SimplePayload;
import org.jivesoftware.smackx.vcardtemp.VCardManager;
import org.junit.jupiter.api.Test;
import org.jxmpp.jid.BareJid;
import org.jxmpp.jid.impl.JidCreate;

/**
 * XEP-0163 PEP with two accounts, each with a Smack and a slixmpp client: an avatar published from
 * alice's slixmpp (XEP-0084) reaches bob's two clients and alice's other one, becomes her vCard
 * photo with its XEP-0153 hash in her presence (XEP-0398); a bookmark stored with XEP-0048 in
 * private XML appears as a XEP-0402 item and one published with XEP-0402 appears in private XML
 * (XEP-0411 / XEP-0402 compat); bob's OMEMO device list, published with publish-options for open
 * access, is read by alice and by a stranger, while his presence-access nodes stay closed to the
 * stranger. Reloading the pubsub and PEP modules keeps every node, item and session.
 */
class PepIT {
    private static final String PW = "-Pw-1";
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String METADATA = "urn:xmpp:avatar:metadata";
    private static final String BOOKMARKS = "urn:xmpp:bookmarks:1";
    private static final String DEVICES = "eu.siacs.conversations.axolotl.devicelist";
    /** The 1x1 PNG slix_pep.py publishes. */
    private static final byte[] AVATAR = java.util.Base64.getDecoder()
            .decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==");

    @Test
    void avatarsBookmarksAndOmemoDevicesAcrossTwoLibraries() throws Exception {
        Path home = StrataServer.freshHome("pep-it", "alice", "bob", "carol");
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(AVATAR));
        BareJid alice = JidCreate.bareFrom("alice@localhost");
        BareJid bob = JidCreate.bareFrom("bob@localhost");
        try (StrataServer s = StrataServer.start(home, home.resolve("data"), Map.of())) {
            XMPPTCPConnection alicePhone = Clients.smack(s, "alice", "alice" + PW, "phone");
            XMPPTCPConnection bobPhone = Clients.smack(s, "bob", "bob" + PW, "phone");
            befriend(alicePhone, bobPhone, alice, bob);

            // the server and each account show what PEP clients look for
            DiscoverInfo account = ServiceDiscoveryManager.getInstanceFor(alicePhone).discoverInfo(alice);
            assertThat(account.hasIdentity("pubsub", "pep")).isTrue();
            for (String f : List.of("http://jabber.org/protocol/pubsub#publish-options", "http://jabber.org/protocol/pubsub#config-node-max",
                    "urn:xmpp:pep-vcard-conversion:0", "urn:xmpp:bookmarks:1#compat", "urn:xmpp:bookmarks:1#compat-pep", "urn:xmpp:bookmarks-conversion:0")) {
                assertThat(account.containsFeature(f)).as(f).isTrue();
            }
            assertThat(PepManager.getInstanceFor(alicePhone).isSupported()).isTrue();

            // both Smack clients ask for avatar notifications (+notify in their capabilities)
            CompletableFuture<String> bobSaw = new CompletableFuture<>();
            CompletableFuture<String> aliceSaw = new CompletableFuture<>();
            PepManager.getInstanceFor(bobPhone).addPepEventListener(METADATA, SimplePayload.class, (from, payload, id, m) -> {
                if (from.equals(alice)) bobSaw.complete(id);
            });
            PepManager.getInstanceFor(alicePhone).addPepEventListener(METADATA, SimplePayload.class, (from, payload, id, m) -> {
                if (from.equals(alice)) aliceSaw.complete(id);
            });

            // bob's slixmpp publishes his OMEMO device list and waits for alice's avatar
            CompletableFuture<StrataServer.Result> bobDesk = CompletableFuture.supplyAsync(() -> slixmpp(s, "bob", "alice", "watch", 90));
            PubSubManager bobsPep = PubSubManager.getInstanceFor(alicePhone, bob);
            List<Item> devices = StrataServer.awaitValue(WAIT, "bob's device list", () -> items(bobsPep, DEVICES), l -> !l.isEmpty());
            assertThat(devices.get(0).getId()).isEqualTo("current");
            assertThat(devices.get(0).toXML().toString()).contains("eu.siacs.conversations.axolotl", "id='31337'");
            Thread.sleep(500); // bob's slixmpp told its capabilities before publishing; let the server's question about them finish

            StrataServer.Result aliceDesk = slixmpp(s, "alice", "bob", "publish", 60);
            assertThat(aliceDesk.out()).as("%s", aliceDesk).contains("AVATAR-PUBLISHED " + sha, "BOOKMARKED club@conference.localhost", "DONE");
            assertThat(bobSaw.get(20, TimeUnit.SECONDS)).as("bob's Smack hears of alice's avatar").isEqualTo(sha);
            assertThat(aliceSaw.get(20, TimeUnit.SECONDS)).as("alice's other client hears of it").isEqualTo(sha);
            StrataServer.Result watched = bobDesk.get(60, TimeUnit.SECONDS);
            assertThat(watched.out()).as("%s", watched).contains("DEVICES-PUBLISHED", "GOT-AVATAR " + sha + " type image/png bytes " + AVATAR.length, "DONE");

            // XEP-0398: the avatar is alice's vCard photo, and its hash rides on her presence
            byte[] photo = VCardManager.getInstanceFor(bobPhone).loadVCard(alice.asEntityBareJidIfPossible()).getAvatar();
            assertThat(photo).isEqualTo(AVATAR);
            alicePhone.sendStanza(alicePhone.getStanzaFactory().buildPresenceStanza().ofType(Presence.Type.available).setStatus("new face").build());
            Roster bobsRoster = Roster.getInstanceFor(bobPhone);
            StrataServer.await(WAIT, "alice's presence with her avatar's hash", () -> {
                Presence p = bobsRoster.getPresence(alice);
                ExtensionElement x = p.getExtensionElement("x", "vcard-temp:x:update");
                return "new face".equals(p.getStatus()) && x != null && x.toXML().toString().contains(sha);
            });

            // XEP-0048 in private XML (slixmpp) -> XEP-0402 (Smack reads alice's PEP node)
            PubSubManager ownPep = PepManager.getInstanceFor(alicePhone).getPepPubSubManager();
            List<Item> native1 = items(ownPep, BOOKMARKS);
            assertThat(native1).extracting(Item::getId).containsExactly("club@conference.localhost");
            assertThat(native1.get(0).toXML().toString()).contains("name='The Club'", "autojoin='true'", "slixnick");
            // XEP-0402 (Smack publishes) -> XEP-0048 in private XML (slixmpp reads)
            PepManager.getInstanceFor(alicePhone).publish(BOOKMARKS, new PayloadItem<>("lounge@conference.localhost",
                    new SimplePayload("<conference xmlns='urn:xmpp:bookmarks:1' name='Lounge' autojoin='false'><nick>smacknick</nick></conference>")));
            StrataServer.Result read = slixmpp(s, "alice", "bob", "bookmarks", 60);
            assertThat(read.out()).as("%s", read).contains("BOOKMARKS club@conference.localhost:slixnick|lounge@conference.localhost:smacknick", "DONE");
            // the node stays private (XEP-0223): bob may not read alice's bookmarks
            // (a node one may not read is one the server does not show: disco#info answers item-not-found)
            assertThatThrownBy(() -> PubSubManager.getInstanceFor(bobPhone, alice).getLeafNode(BOOKMARKS)).isInstanceOfSatisfying(XMPPErrorException.class,
                    e -> assertThat(e.getStanzaError().getCondition()).isEqualTo(StanzaError.Condition.item_not_found));

            // open access (the OMEMO device list) reaches a stranger; presence access (the avatar) does not
            XMPPTCPConnection carol = Clients.smack(s, "carol", "carol" + PW, "web");
            assertThat(items(PubSubManager.getInstanceFor(carol, bob), DEVICES)).extracting(Item::getId).containsExactly("current");
            assertThatThrownBy(() -> PubSubManager.getInstanceFor(carol, alice).getLeafNode(METADATA).getItems())
                    .isInstanceOf(XMPPErrorException.class);

            // the operator sees the nodes; reloading the modules keeps nodes, items and sessions
            StrataServer.Result nodes = s.ssh("pubsub:nodes alice@localhost");
            assertThat(nodes.out()).as("%s", nodes).contains("urn:xmpp:avatar:data", METADATA, BOOKMARKS, "whitelist", "storage:bookmarks");
            for (String module : List.of("xep-0060-pubsub", "xep-0163-pep")) {
                StrataServer.Result reload = s.ssh("module:reload " + module);
                assertThat(reload.exit()).as("%s", reload).isZero();
            }
            List<Item> after = StrataServer.awaitValue(WAIT, "alice's avatar after the reloads", () -> items(PubSubManager.getInstanceFor(bobPhone, alice), METADATA),
                    l -> !l.isEmpty());
            assertThat(after).extracting(Item::getId).containsExactly(sha);
            assertThat(alicePhone.isConnected() && bobPhone.isConnected() && carol.isConnected()).isTrue();
            alicePhone.disconnect();
            bobPhone.disconnect();
            carol.disconnect();
        }
    }

    /** The items of a node, or an empty list while the node does not exist. */
    private static List<Item> items(PubSubManager pep, String node) {
        try {
            LeafNode leaf = pep.getLeafNode(node);
            return leaf.getItems();
        } catch (XMPPErrorException e) {
            if (e.getStanzaError().getCondition() == StanzaError.Condition.item_not_found) return List.of();
            throw new RuntimeException(e);
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }

    /** Mutual presence subscription between the two Smack clients' accounts. */
    static void befriend(XMPPTCPConnection a, XMPPTCPConnection b, BareJid aJid, BareJid bJid) throws Exception {
        Roster ra = Roster.getInstanceFor(a);
        Roster rb = Roster.getInstanceFor(b);
        ra.setSubscriptionMode(Roster.SubscriptionMode.accept_all);
        rb.setSubscriptionMode(Roster.SubscriptionMode.accept_all);
        StrataServer.await(WAIT, "the rosters loaded at login", () -> ra.isLoaded() && rb.isLoaded());
        ra.createItemAndRequestSubscription(bJid, "B", null);
        StrataServer.await(WAIT, "a subscribed to b", () -> isTo(ra, bJid));
        rb.createItemAndRequestSubscription(aJid, "A", null);
        StrataServer.await(WAIT, "both ways", () -> both(ra, bJid) && both(rb, aJid));
        StrataServer.await(WAIT, "each sees the other available", () -> ra.getPresence(bJid).isAvailable() && rb.getPresence(aJid).isAvailable());
    }

    private static boolean isTo(Roster r, BareJid j) {
        RosterEntry e = r.getEntry(j);
        return e != null && (e.getType() == org.jivesoftware.smack.roster.packet.RosterPacket.ItemType.to
                || e.getType() == org.jivesoftware.smack.roster.packet.RosterPacket.ItemType.both);
    }

    private static boolean both(Roster r, BareJid j) {
        RosterEntry e = r.getEntry(j);
        return e != null && e.getType() == org.jivesoftware.smack.roster.packet.RosterPacket.ItemType.both;
    }

    private static StrataServer.Result slixmpp(StrataServer s, String user, String other, String mode, int seconds) {
        return StrataServer.run(List.of("/usr/bin/python3", Path.of("src/test/python/slix_pep.py").toAbsolutePath().toString(),
                Integer.toString(s.c2sPort), PW, user, other, mode), Map.of(), Duration.ofSeconds(seconds));
    }
}
