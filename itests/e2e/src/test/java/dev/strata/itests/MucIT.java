package dev.strata.itests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import org.jivesoftware.smack.XMPPException.XMPPErrorException;
import org.jivesoftware.smack.filter.StanzaTypeFilter;
import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.Presence;
import org.jivesoftware.smack.packet.StanzaError;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.commands.AdHocCommandManager;
import org.jivesoftware.smackx.commands.RemoteCommand;
import org.jivesoftware.smackx.delay.packet.DelayInformation;
import org.jivesoftware.smackx.disco.ServiceDiscoveryManager;
import org.jivesoftware.smackx.disco.packet.DiscoverInfo;
import org.jivesoftware.smackx.mam.MamManager;
import org.jivesoftware.smackx.muc.Affiliate;
import org.jivesoftware.smackx.muc.MultiUserChat;
import org.jivesoftware.smackx.muc.MultiUserChatManager;
import org.jivesoftware.smackx.muc.packet.MUCUser;
import org.jivesoftware.smackx.xdata.form.FillableForm;
import org.junit.jupiter.api.Test;
import org.jxmpp.jid.EntityBareJid;
import org.jxmpp.jid.impl.JidCreate;
import org.jxmpp.jid.parts.Resourcepart;

/**
 * XEP-0045 rooms with two client libraries: Smack (the owner, a late member) and slixmpp (an
 * invited member) in one members-only room, a server restart that keeps the room, and a
 * {@code module:reload xep-0045-muc} that keeps its occupants chatting.
 */
class MucIT {
    private static final String PW = "-Pw-1";

    @Test
    void smackAndSlixmppShareAMembersOnlyRoomThatOutlivesARestart() throws Exception {
        Path home = StrataServer.freshHome("muc-it", "olga", "pete", "quinn");
        EntityBareJid team = JidCreate.entityBareFrom("team@conference.localhost");
        try (StrataServer s = StrataServer.start(home, home.resolve("data"), Map.of())) {
            XMPPTCPConnection olga = Clients.smack(s, "olga", "olga" + PW, "desk");
            MultiUserChat room = MultiUserChatManager.getInstanceFor(olga).getMultiUserChat(team);
            room.create(Resourcepart.from("olga"));
            FillableForm form = room.getConfigurationForm().getFillableForm();
            form.setAnswer("muc#roomconfig_roomname", "Team");
            form.setAnswer("muc#roomconfig_persistentroom", true);
            form.setAnswer("muc#roomconfig_membersonly", true);
            form.setAnswer("muc#roomconfig_enablelogging", true);
            room.sendConfigurationForm(form);
            room.changeSubject("Plans for the week");
            // pete is offline: the invitation waits in offline storage and makes him a member
            room.invite(JidCreate.entityBareFrom("pete@localhost"), "join us");

            CompletableFuture<StrataServer.Result> slix = CompletableFuture.supplyAsync(() -> slixmpp(s, "first"));
            Message hello = awaitBody(room, "hello from slixmpp");
            assertThat(hello.getFrom().getResourceOrNull().toString()).isEqualTo("pete");
            room.sendMessage("hi pete");
            StrataServer.Result first = slix.get(60, TimeUnit.SECONDS);
            assertThat(first.out()).as("%s", first).contains("LOGGED-IN", "INVITED to team@conference.localhost by olga@localhost",
                    "JOINED affiliation member role participant", "GOT hi pete from olga", "DONE");

            // quinn is no member: refused until olga makes him one; then he gets the history, with delay stamps
            XMPPTCPConnection quinn = Clients.smack(s, "quinn", "quinn" + PW, "laptop");
            MultiUserChat quinnRoom = MultiUserChatManager.getInstanceFor(quinn).getMultiUserChat(team);
            assertThatThrownBy(() -> quinnRoom.join(Resourcepart.from("quinn")))
                    .isInstanceOfSatisfying(XMPPErrorException.class,
                            e -> assertThat(e.getStanzaError().getCondition()).isEqualTo(StanzaError.Condition.registration_required));
            room.grantMembership(JidCreate.bareFrom("quinn@localhost"));
            CompletableFuture<Presence> kicked = new CompletableFuture<>();
            quinn.addAsyncStanzaListener(p -> {
                MUCUser u = MUCUser.from(p);
                if (u != null && u.getStatus().contains(MUCUser.Status.KICKED_307)) kicked.complete((Presence) p);
            }, StanzaTypeFilter.PRESENCE);
            quinnRoom.join(quinnRoom.getEnterConfigurationBuilder(Resourcepart.from("quinn")).requestMaxStanzasHistory(10).build());
            Message h1 = quinnRoom.nextMessage(5000);
            Message h2 = quinnRoom.nextMessage(5000);
            assertThat(List.of(h1.getBody(), h2.getBody())).containsExactly("hello from slixmpp", "hi pete");
            assertThat(DelayInformation.from(h1)).as("history carries a delay stamp").isNotNull();
            // Smack records the subject on its listener thread, maybe after the history was read
            StrataServer.await(Duration.ofSeconds(10), "the subject at quinn's", () -> "Plans for the week".equals(quinnRoom.getSubject()));

            room.kickParticipant(Resourcepart.from("quinn"), "test over");
            Presence k = kicked.get(10, TimeUnit.SECONDS);
            assertThat(MUCUser.from(k).getItem().getReason()).isEqualTo("test over");
            assertThat(s.ssh("muc:info team@conference.localhost").out()).contains("\"Team\"", "persistent", "members only", "member  pete@localhost",
                    "member  quinn@localhost", "owner  olga@localhost", "occupants (1)");
            quinn.disconnect();
            olga.disconnect();

            s.stop();
            s.start();
            olga = Clients.smack(s, "olga", "olga" + PW, "desk");
            DiscoverInfo info = ServiceDiscoveryManager.getInstanceFor(olga).discoverInfo(team);
            assertThat(info.containsFeature("muc_persistent")).isTrue();
            assertThat(info.containsFeature("muc_membersonly")).isTrue();
            assertThat(info.getIdentities().get(0).getName()).isEqualTo("Team");
            room = MultiUserChatManager.getInstanceFor(olga).getMultiUserChat(team);
            assertThat(room.getMembers().stream().map(Affiliate::getJid).map(Object::toString))
                    .containsExactlyInAnyOrder("pete@localhost", "quinn@localhost");
            // the room's archive (XEP-0313 on the room's JID) kept the discussion across the restart
            MamManager mam = MamManager.getInstanceFor(room);
            assertThat(mam.isSupported()).isTrue();
            MamManager.MamQuery page = mam.queryArchive(MamManager.MamQueryArgs.builder().setResultPageSizeTo(10).build());
            assertThat(page.getMessages().stream().map(Message::getBody)).containsExactly("hello from slixmpp", "hi pete");
            assertThat(page.getMessages().get(0).getFrom().toString()).isEqualTo("team@conference.localhost/pete");
            // and the history of those who enter comes from it
            StrataServer.Result again = slixmpp(s, "rejoin");
            assertThat(again.out()).as("%s", again).contains("REJOINED affiliation member subject Plans for the week", "HISTORY hello from slixmpp|hi pete", "DONE");
            olga.disconnect();
        }
    }

    @Test
    void occupantsKeepChattingAcrossAModuleReload() throws Exception {
        Path home = StrataServer.freshHome("muc-reload-it", "rita", "sam");
        EntityBareJid lounge = JidCreate.entityBareFrom("lounge@conference.localhost");
        try (StrataServer s = StrataServer.start(home, home.resolve("data"), Map.of("STRATA_ADMIN_JID", "rita@localhost"))) {
            XMPPTCPConnection rita = Clients.smack(s, "rita", "rita" + PW, "desk");
            XMPPTCPConnection sam = Clients.smack(s, "sam", "sam" + PW, "phone");
            MultiUserChat ritaRoom = MultiUserChatManager.getInstanceFor(rita).getMultiUserChat(lounge);
            ritaRoom.create(Resourcepart.from("rita")).makeInstant();
            MultiUserChat samRoom = MultiUserChatManager.getInstanceFor(sam).getMultiUserChat(lounge);
            samRoom.join(Resourcepart.from("sam"));
            ritaRoom.sendMessage("before the reload");
            assertThat(awaitBody(samRoom, "before the reload")).isNotNull();

            StrataServer.Result reload = s.ssh("module:reload xep-0045-muc");
            assertThat(reload.exit()).as("%s", reload).isZero();

            ritaRoom.sendMessage("after the reload");
            assertThat(awaitBody(samRoom, "after the reload").getFrom().getResourceOrNull().toString()).isEqualTo("rita");
            samRoom.sendMessage("still here");
            assertThat(awaitBody(ritaRoom, "still here")).isNotNull();
            assertThat(s.ssh("muc:info lounge@conference.localhost").out()).contains("occupants (2)", "rita  moderator  owner", "sam  participant  none");
            assertThat(rita.isConnected() && sam.isConnected()).isTrue();

            // the server's administrator destroys another room with an ad-hoc command (XEP-0050)
            MultiUserChat attic = MultiUserChatManager.getInstanceFor(sam).getMultiUserChat(JidCreate.entityBareFrom("attic@conference.localhost"));
            attic.create(Resourcepart.from("sam")).makeInstant();
            CompletableFuture<Presence> atticGone = new CompletableFuture<>();
            sam.addAsyncStanzaListener(p -> {
                MUCUser u = MUCUser.from(p);
                if (u != null && u.getDestroy() != null && p.getFrom().asBareJid().toString().equals("attic@conference.localhost")) atticGone.complete((Presence) p);
            }, StanzaTypeFilter.PRESENCE);
            RemoteCommand command = AdHocCommandManager.getAddHocCommandsManager(rita).getRemoteCommand(JidCreate.domainBareFrom("localhost"),
                    "http://strata.dev/protocol/muc#destroy");
            command.execute();
            FillableForm form = new FillableForm(command.getForm());
            form.setAnswer("room", "attic@conference.localhost");
            form.setAnswer("reason", "spring cleaning");
            command.complete(form);
            assertThat(command.isCompleted()).isTrue();
            assertThat(MUCUser.from(atticGone.get(10, TimeUnit.SECONDS)).getDestroy().getReason()).isEqualTo("spring cleaning");
            RemoteCommand notAdmin = AdHocCommandManager.getAddHocCommandsManager(sam).getRemoteCommand(JidCreate.domainBareFrom("localhost"),
                    "http://strata.dev/protocol/muc#destroy");
            assertThatThrownBy(notAdmin::execute).as("only administrators").isInstanceOf(XMPPErrorException.class);

            // an operator closes the room: its occupants are told why, and it is gone
            CompletableFuture<Presence> destroyed = new CompletableFuture<>();
            sam.addAsyncStanzaListener(p -> {
                MUCUser u = MUCUser.from(p);
                if (u != null && u.getDestroy() != null) destroyed.complete((Presence) p);
            }, StanzaTypeFilter.PRESENCE);
            StrataServer.Result destroy = s.ssh("muc:destroy lounge@conference.localhost closing time");
            assertThat(destroy.out()).as("%s", destroy).contains("Destroyed lounge@conference.localhost (2 occupants told: closing time)");
            assertThat(MUCUser.from(destroyed.get(10, TimeUnit.SECONDS)).getDestroy().getReason()).isEqualTo("closing time");
            assertThat(s.ssh("muc:list").out()).doesNotContain("lounge@conference.localhost");
            rita.disconnect();
            sam.disconnect();
        }
    }

    /**
     * XEP-0425: Smack's owner (a moderator) retracts what slixmpp's participant said, in XEP-0425
     * 1.0's protocol; slixmpp 1.8.3, which speaks the 0.2 protocol, hears of it; the room's archive
     * keeps a tombstone in the message's place.
     */
    @Test
    void aModeratorRetractsAMessageForEveryClientAndTheArchive() throws Exception {
        Path home = StrataServer.freshHome("muc-moderation-it", "mona", "sam");
        EntityBareJid lobby = JidCreate.entityBareFrom("lobby@conference.localhost");
        try (StrataServer s = StrataServer.start(home, home.resolve("data"), Map.of())) {
            XMPPTCPConnection mona = Clients.smack(s, "mona", "mona" + PW, "desk");
            MultiUserChat room = MultiUserChatManager.getInstanceFor(mona).getMultiUserChat(lobby);
            room.create(Resourcepart.from("mona"));
            FillableForm form = room.getConfigurationForm().getFillableForm();
            form.setAnswer("muc#roomconfig_enablelogging", true);
            room.sendConfigurationForm(form);
            DiscoverInfo info = ServiceDiscoveryManager.getInstanceFor(mona).discoverInfo(lobby);
            assertThat(info.containsFeature("urn:xmpp:message-moderate:1")).as("%s", info.toXML()).isTrue();
            assertThat(info.containsFeature("urn:xmpp:message-moderate:0")).isTrue();
            CompletableFuture<Message> announced = new CompletableFuture<>();
            mona.addSyncStanzaListener(m -> {
                if (((Message) m).getExtensionElement("retract", "urn:xmpp:message-retract:1") != null) announced.complete((Message) m);
            }, StanzaTypeFilter.MESSAGE);

            CompletableFuture<StrataServer.Result> slix = CompletableFuture.supplyAsync(() -> StrataServer.run(List.of("/usr/bin/python3",
                    Path.of("src/test/python/slix_moderated.py").toAbsolutePath().toString(), Integer.toString(s.c2sPort), PW, "sam", "mona",
                    lobby.toString()), Map.of(), Duration.ofSeconds(60)));
            Message spam = awaitBody(room, "buy cheap watches at example.com");
            java.util.regex.Matcher sid = java.util.regex.Pattern.compile("id=['\"]([^'\"]+)['\"]")
                    .matcher(spam.getExtensionElement("stanza-id", "urn:xmpp:sid:0").toXML().toString());
            assertThat(sid.find()).isTrue();
            String id = sid.group(1);

            ModerateIq moderate = new ModerateIq(id, "Spam");
            moderate.setTo(lobby);
            mona.createStanzaCollectorAndSend(moderate).nextResultOrThrow();
            String retraction = announced.get(20, TimeUnit.SECONDS).toXML().toString();
            assertThat(retraction).containsPattern("<retract xmlns='urn:xmpp:message-retract:1'[^>]* id=['\"]" + id + "['\"]")
                    .contains("by='lobby@conference.localhost/mona'", "<reason>Spam</reason>");

            StrataServer.Result r = slix.get(60, TimeUnit.SECONDS);
            assertThat(r.out()).as("%s", r).contains("JOINED", "MODERATED " + id + " by lobby@conference.localhost/mona reason Spam", "DONE");

            MamManager.MamQuery page = MamManager.getInstanceFor(room).queryArchive(MamManager.MamQueryArgs.builder().setResultPageSizeTo(10).build());
            String archived = page.getMessages().stream().map(m -> m.toXML().toString()).reduce("", String::concat);
            assertThat(archived).as("the room's archive").doesNotContain("cheap watches").contains("retracted", "urn:xmpp:message-retract:1");
            mona.disconnect();
        }
    }

    /** XEP-0425 1.0's request: retract the message with this stanza id. */
    private static final class ModerateIq extends org.jivesoftware.smack.packet.IQ {
        private final String stanzaId, reason;

        ModerateIq(String stanzaId, String reason) {
            super("moderate", "urn:xmpp:message-moderate:1");
            this.stanzaId = stanzaId;
            this.reason = reason;
            setType(Type.set);
        }

        @Override
        protected IQChildElementXmlStringBuilder getIQChildElementBuilder(IQChildElementXmlStringBuilder xml) {
            xml.attribute("id", stanzaId);
            xml.rightAngleBracket();
            xml.append("<retract xmlns='urn:xmpp:message-retract:1'/>");
            xml.element("reason", reason);
            return xml;
        }
    }

    private static StrataServer.Result slixmpp(StrataServer s, String mode) {
        return StrataServer.run(List.of("/usr/bin/python3", Path.of("src/test/python/slix_muc.py").toAbsolutePath().toString(),
                Integer.toString(s.c2sPort), PW, "pete", "olga", "team@conference.localhost", mode), Map.of(), Duration.ofSeconds(60));
    }

    /** The next groupchat message of the room with this body (others, such as reflections of one's own, are skipped). */
    /**
     * Two occupants talk at once, as fast as they can; every occupant, the two talkers included,
     * gets every message once and all in one order (the room's), and each talker's messages in the
     * order it sent them. A room that wrote a message's copies after taking the next message (its
     * lock released before the copies went to the connections) shows here as occupants disagreeing.
     */
    @Test
    void everyOccupantSeesTheRoomsMessagesInOneOrder() throws Exception {
        Path home = StrataServer.freshHome("muc-order-it", "tess", "umar", "vera");
        Files.writeString(home.resolve("config/stack/05-services/strata.xep0045.cfg"),
                "host = conference\noccupant.rate = 10000\noccupant.burst = 10000\n");
        EntityBareJid hall = JidCreate.entityBareFrom("hall@conference.localhost");
        int each = 300;
        try (StrataServer s = StrataServer.start(home, home.resolve("data"), Map.of())) {
            List<XMPPTCPConnection> clients = new ArrayList<>();
            for (String user : List.of("tess", "umar", "vera")) {
                // without stream management: this is about the room's order, and a talker's acks
                // would queue behind its own 300 messages
                XMPPTCPConnection c = Clients.smack(s);
                c.setUseStreamManagement(false);
                c.login(user, user + PW, Resourcepart.from("desk"));
                clients.add(c);
            }
            List<MultiUserChat> rooms = new ArrayList<>();
            for (XMPPTCPConnection c : clients) {
                MultiUserChat room = MultiUserChatManager.getInstanceFor(c).getMultiUserChat(hall);
                if (rooms.isEmpty()) room.create(Resourcepart.from(c.getUser().getLocalpart().toString())).makeInstant();
                else room.join(Resourcepart.from(c.getUser().getLocalpart().toString()));
                rooms.add(room);
            }
            List<CompletableFuture<Void>> talking = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                MultiUserChat room = rooms.get(t);
                String who = t == 0 ? "tess" : "umar";
                talking.add(CompletableFuture.runAsync(() -> {
                    try {
                        for (int i = 0; i < each; i++) room.sendMessage(who + " " + i);
                    } catch (Exception e) {
                        throw new CompletionException(e);
                    }
                }));
            }
            CompletableFuture.allOf(talking.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            List<List<String>> heard = new ArrayList<>();
            for (MultiUserChat room : rooms) {
                List<String> bodies = new ArrayList<>();
                while (bodies.size() < 2 * each) {
                    Message m = room.nextMessage(20_000);
                    assertThat(m).as("%s heard only %d of %d messages", room.getNickname(), bodies.size(), 2 * each).isNotNull();
                    if (m.getBody() != null) bodies.add(m.getBody());
                }
                assertThat(room.pollMessage()).as("nothing twice").isNull();
                heard.add(bodies);
            }
            assertThat(heard.get(1)).as("umar heard what tess heard, in the same order").isEqualTo(heard.get(0));
            assertThat(heard.get(2)).as("vera heard what tess heard, in the same order").isEqualTo(heard.get(0));
            for (String who : List.of("tess", "umar")) {
                List<String> theirs = heard.get(0).stream().filter(b -> b.startsWith(who + " ")).toList();
                assertThat(theirs).as("%s's messages in the order sent", who)
                        .isEqualTo(IntStream.range(0, each).mapToObj(i -> who + " " + i).toList());
            }
            for (XMPPTCPConnection c : clients) c.disconnect();
        }
    }

    private static Message awaitBody(MultiUserChat room, String body) throws Exception {
        long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < until) {
            Message m = room.nextMessage(1000);
            if (m != null && body.equals(m.getBody())) return m;
        }
        throw new AssertionError("no message '" + body + "' in " + room.getRoom());
    }
}
