package dev.strata.xep0045;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.strata.api.Jid;
import dev.strata.api.stanza.Origin;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.storage.ArchiveStore;
import dev.strata.api.xml.DataForm;
import dev.strata.api.xml.Element;
import dev.strata.api.xml.Xml;

class RoomTest {
    static final Jid ROOM = Jid.of("den@conference.example.org");
    static final Jid OWNER = Jid.of("owner@example.org/a");
    static final Jid BOB = Jid.of("bob@example.org/b");
    static final Jid CAROL = Jid.of("carol@example.org/c");

    /** What the room sent, and what it asked its service to store or forget. */
    static final class Host implements Room.Host {
        final List<Element> sent = new ArrayList<>();
        int changed;
        boolean gone;

        @Override
        public void send(Element stanza, Origin from) {
            sent.add(stanza);
        }

        @Override
        public void changed(Room room) {
            changed++;
        }

        @Override
        public void gone(Room room) {
            gone = true;
        }

        @Override
        public int maxUsers() {
            return 200;
        }

        @Override
        public int maxHistory() {
            return 100;
        }

        /** The archive, when a test gives one. */
        ArchiveStore archive;

        @Override
        public ArchiveStore archive() {
            return archive;
        }

        double rate = 1000;

        @Override
        public double messageRate() {
            return rate;
        }

        @Override
        public int messageBurst() {
            return 3;
        }

        @Override
        public int pageSize() {
            return 50;
        }

        @Override
        public int maxPageSize() {
            return 250;
        }

        @Override
        public boolean isServerAdmin(Jid user) {
            return false;
        }

        List<Element> to(Jid jid) {
            return sent.stream().filter(e -> jid.toString().equals(e.attribute("to"))).toList();
        }
    }

    Host host;
    Room room;

    @BeforeEach
    void create() throws Exception {
        host = new Host();
        room = Room.create(ROOM, host, OWNER, new RoomConfig(50, 20));
        room.enter(join(OWNER, "owner", ""), OWNER, "owner", true);
    }

    static Element join(Jid from, String nick, String inner) throws Exception {
        return Xml.parse("<presence xmlns='jabber:client' from='" + from + "' to='" + ROOM + "/" + nick + "'><x xmlns='http://jabber.org/protocol/muc'>" + inner + "</x></presence>");
    }

    void handle(String xml, Jid from, Jid to) throws Exception {
        room.handle(Xml.parse(xml), from, to);
    }

    void configure(String fields) throws Exception {
        handle("<iq xmlns='jabber:client' type='set' id='c'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'>"
                + "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field>" + fields + "</x></query></iq>", OWNER, ROOM);
    }

    static StanzaError refusal(ThrowingRunnable r) {
        try {
            r.run();
        } catch (StanzaException e) {
            return e.error();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("not refused");
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    static List<String> codes(Element presence) {
        return presence.child("x", Room.USER).orElseThrow().elements().filter(e -> e.name().equals("status")).map(e -> e.attribute("code")).toList();
    }

    @Test
    void aNewRoomIsLockedUntilConfiguredAndTheCreatorHears201() throws Exception {
        Element self = host.to(OWNER).getFirst();
        assertThat(codes(self)).containsExactly("110", "201");
        assertThat(self.child("x", Room.USER).orElseThrow().child("item", Room.USER).orElseThrow().attribute("affiliation")).isEqualTo("owner");
        assertThat(refusal(() -> room.enter(join(BOB, "bob", ""), BOB, "bob", false))).isEqualTo(StanzaError.ITEM_NOT_FOUND);
        configure("");
        room.enter(join(BOB, "bob", ""), BOB, "bob", false);
        List<Element> toBob = host.to(BOB);
        // §7.2.3: the others first, then bob's own presence (110), then the subject (empty: none set)
        assertThat(toBob.get(0).attribute("from")).isEqualTo(ROOM + "/owner");
        assertThat(codes(toBob.get(1))).containsExactly("110");
        assertThat(toBob.get(0).child("x", Room.USER).orElseThrow().child("item", Room.USER).orElseThrow().attribute("jid"))
                .as("semi-anonymous: a participant sees no one else's JID").isNull();
        assertThat(toBob.get(1).child("x", Room.USER).orElseThrow().child("item", Room.USER).orElseThrow().attribute("jid")).as("but its own").isEqualTo(BOB.toString());
        assertThat(toBob.getLast().child("subject", Room.CLIENT)).isPresent();
    }

    @Test
    void enteringIsRefusedWithTheErrorsOfSection7() throws Exception {
        configure("<field var='muc#roomconfig_passwordprotectedroom'><value>1</value></field><field var='muc#roomconfig_roomsecret'><value>s3</value></field>"
                + "<field var='muc#roomconfig_maxusers'><value>10</value></field>");
        assertThat(refusal(() -> room.enter(join(BOB, "bob", ""), BOB, "bob", false))).isEqualTo(StanzaError.NOT_AUTHORIZED);
        assertThat(refusal(() -> room.enter(join(BOB, "bob", "<password>no</password>"), BOB, "bob", false))).isEqualTo(StanzaError.NOT_AUTHORIZED);
        assertThat(refusal(() -> room.enter(join(BOB, "owner", "<password>s3</password>"), BOB, "owner", false))).isEqualTo(StanzaError.CONFLICT);
        assertThat(refusal(() -> handle("<presence xmlns='jabber:client'/>", BOB, ROOM))).isEqualTo(StanzaError.JID_MALFORMED);
        handle("<iq xmlns='jabber:client' type='set' id='b'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='outcast' jid='carol@example.org'/></query></iq>",
                OWNER, ROOM);
        assertThat(refusal(() -> room.enter(join(CAROL, "carol", "<password>s3</password>"), CAROL, "carol", false))).isEqualTo(StanzaError.FORBIDDEN);
        configure("<field var='muc#roomconfig_membersonly'><value>1</value></field>");
        assertThat(refusal(() -> room.enter(join(BOB, "bob", "<password>s3</password>"), BOB, "bob", false))).isEqualTo(StanzaError.REGISTRATION_REQUIRED);
        configure("<field var='muc#roomconfig_membersonly'><value>0</value></field><field var='muc#roomconfig_maxusers'><value>1</value></field>");
        assertThat(refusal(() -> room.enter(join(BOB, "bob", "<password>s3</password>"), BOB, "bob", false))).isEqualTo(StanzaError.SERVICE_UNAVAILABLE);
    }

    @Test
    void messagesNeedAnOccupantWithVoiceAndTheRightType() throws Exception {
        configure("<field var='muc#roomconfig_moderatedroom'><value>1</value></field>");
        assertThat(refusal(() -> handle("<message xmlns='jabber:client' type='groupchat'><body>hi</body></message>", BOB, ROOM))).isEqualTo(StanzaError.NOT_ACCEPTABLE);
        room.enter(join(BOB, "bob", ""), BOB, "bob", false);
        assertThat(refusal(() -> handle("<message xmlns='jabber:client' type='groupchat'><body>hi</body></message>", BOB, ROOM)))
                .as("a visitor in a moderated room").isEqualTo(StanzaError.FORBIDDEN);
        assertThat(refusal(() -> handle("<message xmlns='jabber:client' type='chat'><body>hi</body></message>", OWNER, ROOM))).isEqualTo(StanzaError.BAD_REQUEST);
        assertThat(refusal(() -> handle("<message xmlns='jabber:client' type='groupchat'><body>hi</body></message>", OWNER, ROOM.withResource("bob"))))
                .isEqualTo(StanzaError.BAD_REQUEST);
        host.sent.clear();
        handle("<message xmlns='jabber:client' type='groupchat' id='m1'><body>hello</body><occupant-id xmlns='urn:xmpp:occupant-id:0' id='forged'/></message>", OWNER, ROOM);
        assertThat(host.sent).hasSize(2); // reflected to the sender too
        Element atBob = host.to(BOB).getFirst();
        assertThat(atBob.attribute("from")).isEqualTo(ROOM + "/owner");
        assertThat(atBob.elements().filter(e -> e.name().equals("occupant-id")).map(e -> e.attribute("id")).toList())
                .containsExactly(room.occupantId(OWNER));
    }

    @Test
    void historyHonoursMaxstanzasAndCarriesDelay() throws Exception {
        configure("");
        for (int i = 1; i <= 3; i++) handle("<message xmlns='jabber:client' type='groupchat'><body>m" + i + "</body></message>", OWNER, ROOM);
        host.sent.clear();
        room.enter(join(BOB, "bob", "<history maxstanzas='2'/>"), BOB, "bob", false);
        List<Element> bodies = host.to(BOB).stream().filter(e -> e.child("body", Room.CLIENT).isPresent()).toList();
        assertThat(bodies.stream().map(e -> e.child("body", Room.CLIENT).orElseThrow().text())).containsExactly("m2", "m3");
        assertThat(bodies.getFirst().child("delay", "urn:xmpp:delay").orElseThrow().attribute("from")).isEqualTo(ROOM.toString());
        room.enter(join(CAROL, "carol", "<history maxchars='0'/>"), CAROL, "carol", false);
        assertThat(host.to(CAROL).stream().filter(e -> e.child("body", Room.CLIENT).isPresent())).isEmpty();
    }

    @Test
    void kickBanAndTheLastOwner() throws Exception {
        configure("");
        room.enter(join(BOB, "bob", ""), BOB, "bob", false);
        room.enter(join(CAROL, "carol", ""), CAROL, "carol", false);
        assertThat(refusal(() -> handle("<iq xmlns='jabber:client' type='set' id='k'><query xmlns='http://jabber.org/protocol/muc#admin'><item nick='owner' role='none'/></query></iq>",
                BOB, ROOM))).as("a participant kicks nobody").isEqualTo(StanzaError.FORBIDDEN);
        host.sent.clear();
        handle("<iq xmlns='jabber:client' type='set' id='k'><query xmlns='http://jabber.org/protocol/muc#admin'><item nick='bob' role='none'><reason>bye</reason></item></query></iq>",
                OWNER, ROOM);
        Element atBob = host.to(BOB).getFirst();
        assertThat(atBob.attribute("type")).isEqualTo("unavailable");
        assertThat(codes(atBob)).containsExactly("110", "307");
        assertThat(codes(host.to(CAROL).getFirst())).containsExactly("307");
        assertThat(room.sessions()).doesNotContain(BOB);
        assertThat(refusal(() -> handle("<iq xmlns='jabber:client' type='set' id='o'><query xmlns='http://jabber.org/protocol/muc#admin'><item jid='owner@example.org' affiliation='member'/></query></iq>",
                OWNER, ROOM))).isEqualTo(StanzaError.CONFLICT);
        handle("<iq xmlns='jabber:client' type='set' id='b'><query xmlns='http://jabber.org/protocol/muc#admin'><item jid='carol@example.org' affiliation='outcast'/></query></iq>", OWNER, ROOM);
        assertThat(codes(host.to(CAROL).getLast())).containsExactly("110", "301");
    }

    @Test
    void aConfigurationFormWithAnUnknownOrBadFieldChangesNothing() throws Exception {
        configure("<field var='muc#roomconfig_roomname'><value>Den</value></field>");
        assertThat(refusal(() -> configure("<field var='muc#roomconfig_roomname'><value>Other</value></field><field var='muc#roomconfig_nonsense'><value>1</value></field>")))
                .isEqualTo(StanzaError.BAD_REQUEST);
        assertThat(refusal(() -> configure("<field var='muc#roomconfig_maxusers'><value>many</value></field>"))).isEqualTo(StanzaError.BAD_REQUEST);
        assertThat(room.name()).isEqualTo("Den");
    }

    @Test
    void aStoredRoomComesBackWithItsConfigurationAffiliationsAndSubject() throws Exception {
        configure("<field var='muc#roomconfig_persistentroom'><value>1</value></field><field var='muc#roomconfig_roomname'><value>Den</value></field>"
                + "<field var='muc#roomconfig_whois'><value>anyone</value></field>");
        handle("<message xmlns='jabber:client' type='groupchat'><subject>Today</subject></message>", OWNER, ROOM);
        handle("<iq xmlns='jabber:client' type='set' id='m'><query xmlns='http://jabber.org/protocol/muc#admin'><item jid='bob@example.org' affiliation='member'/></query></iq>", OWNER, ROOM);
        Element stored = Xml.parse(room.toElement(false).toXml());
        Room back = Room.fromElement(stored, host, 50, 20, j -> false);
        assertThat(back.name()).isEqualTo("Den");
        assertThat(back.config.persistent).isTrue();
        assertThat(back.config.nonAnonymous()).isTrue();
        assertThat(back.affiliations()).containsEntry(Jid.of("bob@example.org"), Affiliation.MEMBER).containsEntry(Jid.of("owner@example.org"), Affiliation.OWNER);
        assertThat(back.isLocked()).isFalse();
        assertThat(back.occupantId(BOB)).as("occupant ids survive").isEqualTo(room.occupantId(BOB));
        host.sent.clear();
        back.enter(join(BOB, "bob", ""), BOB, "bob", false);
        Element subject = host.to(BOB).getLast();
        assertThat(subject.child("subject", Room.CLIENT).orElseThrow().text()).isEqualTo("Today");
        assertThat(codes(host.to(BOB).stream().filter(e -> e.name().equals("presence")).toList().getLast())).containsExactly("110", "100");
        assertThat(DataForm.value(back.discoInfo(null).child("x", DataForm.NS).orElseThrow(), "muc#roominfo_occupants")).contains("1");
    }

    @Test
    void aFloodIsRefusedPastTheBurst() throws Exception {
        configure("");
        host.rate = 0.1;
        for (int i = 0; i < 3; i++) handle("<message xmlns='jabber:client' type='groupchat'><body>" + i + "</body></message>", OWNER, ROOM);
        assertThat(refusal(() -> handle("<message xmlns='jabber:client' type='groupchat'><body>4</body></message>", OWNER, ROOM)))
                .isEqualTo(StanzaError.RESOURCE_CONSTRAINT);
    }

    @Test
    void theRoomsVcardPhotoIsItsAvatarAnnouncedByHash() throws Exception {
        configure("");
        room.enter(join(BOB, "bob", ""), BOB, "bob", false);
        String photo = java.util.Base64.getEncoder().encodeToString("a tiny png".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        String set = "<iq xmlns='jabber:client' type='set' id='v'><vCard xmlns='vcard-temp'><PHOTO><TYPE>image/png</TYPE><BINVAL>" + photo + "</BINVAL></PHOTO></vCard></iq>";
        assertThat(refusal(() -> handle(set, BOB, ROOM))).as("only owners").isEqualTo(StanzaError.FORBIDDEN);
        host.sent.clear();
        handle(set, OWNER, ROOM);
        String hash = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-1").digest("a tiny png".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        Element atBob = host.to(BOB).getFirst();
        assertThat(atBob.attribute("from")).isEqualTo(ROOM.toString());
        assertThat(atBob.child("x", Room.VCARD_UPDATE).orElseThrow().child("photo", Room.VCARD_UPDATE).orElseThrow().text()).isEqualTo(hash);
        assertThat(DataForm.value(room.discoInfo(null).child("x", DataForm.NS).orElseThrow(), "muc#roominfo_avatarhash")).contains(hash);
        host.sent.clear();
        handle("<iq xmlns='jabber:client' type='get' id='g'><vCard xmlns='vcard-temp'/></iq>", BOB, ROOM);
        assertThat(host.sent.getFirst().child("vCard", Room.VCARD).orElseThrow().child("PHOTO", Room.VCARD)).isPresent();
    }

    @Test
    void registeringReservesTheNicknameAndMakesAMember() throws Exception {
        configure("");
        String reg = "<iq xmlns='jabber:client' type='set' id='r'><query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'>"
                + "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></field><field var='muc#register_roomnick'><value>bobby</value></field></x></query></iq>";
        handle(reg, BOB, ROOM);
        assertThat(room.affiliations()).containsEntry(Jid.of("bob@example.org"), Affiliation.MEMBER);
        assertThat(refusal(() -> room.enter(join(CAROL, "bobby", ""), CAROL, "bobby", false))).isEqualTo(StanzaError.CONFLICT);
        assertThat(refusal(() -> handle(reg, CAROL, ROOM))).isEqualTo(StanzaError.CONFLICT);
        host.sent.clear();
        handle("<iq xmlns='jabber:client' type='get' id='n'><query xmlns='http://jabber.org/protocol/disco#info' node='x-roomuser-item'/></iq>", BOB, ROOM);
        assertThat(host.sent.getFirst().child("query", Room.DISCO_INFO).orElseThrow().child("identity", Room.DISCO_INFO).orElseThrow().attribute("name")).isEqualTo("bobby");
        Room back = Room.fromElement(Xml.parse(room.toElement(false).toXml()), host, 50, 20, j -> false);
        assertThat(refusal(() -> back.enter(join(CAROL, "bobby", ""), CAROL, "bobby", false))).as("kept when stored").isEqualTo(StanzaError.CONFLICT);
        handle("<iq xmlns='jabber:client' type='set' id='u'><query xmlns='jabber:iq:register'><remove/></query></iq>", BOB, ROOM);
        assertThat(room.affiliations()).doesNotContainKey(Jid.of("bob@example.org"));
        room.enter(join(CAROL, "bobby", ""), CAROL, "bobby", false);
    }

    @Test
    void inANonAnonymousRoomEveryoneSeesRealJids() throws Exception {
        configure("<field var='muc#roomconfig_whois'><value>anyone</value></field>");
        room.enter(join(BOB, "bob", ""), BOB, "bob", false);
        Element ownerAtBob = host.to(BOB).getFirst();
        assertThat(ownerAtBob.attribute("from")).isEqualTo(ROOM + "/owner");
        assertThat(ownerAtBob.child("x", Room.USER).orElseThrow().child("item", Room.USER).orElseThrow().attribute("jid")).isEqualTo(OWNER.toString());
        assertThat(codes(host.to(BOB).get(1))).containsExactly("110", "100");
    }

    /** An archive in memory: ids 1, 2, 3... per archive. */
    static final class MemoryArchive implements ArchiveStore {
        final java.util.Map<String, Entry> entries = new java.util.LinkedHashMap<>();

        @Override
        public String append(Jid archive, Jid with, java.time.Instant stamp, Element stanza) {
            String id = Integer.toString(entries.size() + 1);
            entries.put(archive + " " + id, new Entry(id, stamp, with, stanza));
            return id;
        }

        @Override
        public java.util.Optional<Page> query(Jid archive, Query query) {
            return java.util.Optional.of(new Page(entries.entrySet().stream().filter(e -> e.getKey().startsWith(archive + " ")).map(java.util.Map.Entry::getValue).toList(), true));
        }

        @Override
        public java.util.Optional<Entry> get(Jid archive, String id) {
            return java.util.Optional.ofNullable(entries.get(archive + " " + id));
        }

        @Override
        public boolean replace(Jid archive, String id, Element stanza) {
            Entry e = entries.get(archive + " " + id);
            if (e == null) return false;
            entries.put(archive + " " + id, new Entry(id, e.stamp(), e.with(), stanza));
            return true;
        }

        @Override
        public java.util.Optional<Entry> first(Jid archive) {
            return java.util.Optional.empty();
        }

        @Override
        public java.util.Optional<Entry> last(Jid archive) {
            return java.util.Optional.empty();
        }

        @Override
        public int delete(Jid archive) {
            return 0;
        }

        @Override
        public int expire(String domain, java.time.Instant before) {
            return 0;
        }
    }

    @Test
    void aModeratorRetractsAnOccupantsMessageEverywhereItIsKept() throws Exception {
        MemoryArchive archive = new MemoryArchive();
        host.archive = archive;
        configure("<field var='muc#roomconfig_enablelogging'><value>1</value></field>");
        assertThat(room.discoInfo(null).elements().filter(e -> e.name().equals("feature")).map(e -> e.attribute("var"))).contains(Room.MODERATE);
        room.enter(join(BOB, "bob", ""), BOB, "bob", false);
        handle("<message xmlns='jabber:client' type='groupchat' id='m1'><body>buy cheap watches</body></message>", BOB, ROOM);
        Element said = host.to(OWNER).getLast();
        String id = said.child("stanza-id", "urn:xmpp:sid:0").orElseThrow().attribute("id");
        String moderate = "<iq xmlns='jabber:client' type='set' id='x'><moderate id='" + id + "' xmlns='urn:xmpp:message-moderate:1'>"
                + "<retract xmlns='urn:xmpp:message-retract:1'/><reason>Spam</reason></moderate></iq>";

        assertThat(refusal(() -> handle(moderate, BOB, ROOM))).as("a participant").isEqualTo(StanzaError.FORBIDDEN);
        assertThat(refusal(() -> handle(moderate.replace("id='" + id + "'", "id='999'"), OWNER, ROOM))).isEqualTo(StanzaError.ITEM_NOT_FOUND);
        assertThat(refusal(() -> handle(moderate.replace("<retract xmlns='urn:xmpp:message-retract:1'/>", ""), OWNER, ROOM)))
                .isEqualTo(StanzaError.FEATURE_NOT_IMPLEMENTED);
        host.sent.clear();
        handle(moderate, OWNER, ROOM);
        assertThat(host.to(OWNER).getLast().attribute("type")).isEqualTo("result");
        for (Jid who : List.of(OWNER, BOB)) {
            Element announced = host.to(who).stream().filter(e -> e.name().equals("message")).findFirst().orElseThrow();
            assertThat(announced.attribute("from")).isEqualTo(ROOM.toString());
            assertThat(announced.attribute("type")).isEqualTo("groupchat");
            Element retract = announced.child("retract", Room.RETRACT).orElseThrow();
            assertThat(retract.attribute("id")).isEqualTo(id);
            assertThat(retract.child("moderated", Room.MODERATE).orElseThrow().attribute("by")).isEqualTo(ROOM + "/owner");
            assertThat(retract.child("moderated", Room.MODERATE).orElseThrow().child("occupant-id", Room.OCCUPANT_ID)).isPresent();
            assertThat(retract.child("reason", Room.RETRACT).orElseThrow().text()).isEqualTo("Spam");
            assertThat(announced.child("stanza-id", "urn:xmpp:sid:0")).as("the retraction is archived too").isPresent();
        }
        Element tomb = archive.get(ROOM, id).orElseThrow().stanza();
        assertThat(tomb.toXml()).doesNotContain("watches").contains("retracted", "Spam", ROOM + "/owner");
        assertThat(tomb.attribute("from")).isEqualTo(ROOM + "/bob");
        assertThat(tomb.child("occupant-id", Room.OCCUPANT_ID)).as("whose it was stays").isPresent();

        Element announced = host.to(BOB).stream().filter(e -> e.name().equals("message")).findFirst().orElseThrow();
        Element older = announced.child("apply-to", Room.FASTEN).orElseThrow();
        assertThat(older.attribute("id")).as("XEP-0425 0.2's shape too").isEqualTo(id);
        assertThat(older.child("moderated", Room.MODERATE0).orElseThrow().child("retract", Room.RETRACT0)).isPresent();
        // and a client of XEP-0425 0.2 moderates the same way
        handle("<message xmlns='jabber:client' type='groupchat' id='m2'><body>more watches</body></message>", BOB, ROOM);
        String id2 = host.to(OWNER).getLast().child("stanza-id", "urn:xmpp:sid:0").orElseThrow().attribute("id");
        handle("<iq xmlns='jabber:client' type='set' id='y'><apply-to id='" + id2 + "' xmlns='urn:xmpp:fasten:0'><moderate xmlns='urn:xmpp:message-moderate:0'>"
                + "<retract xmlns='urn:xmpp:message-retract:0'/><reason>Spam again</reason></moderate></apply-to></iq>", OWNER, ROOM);
        assertThat(archive.get(ROOM, id2).orElseThrow().stanza().toXml()).doesNotContain("watches").contains("Spam again");
        room.enter(join(CAROL, "carol", ""), CAROL, "carol", false);
        String toCarol = host.to(CAROL).stream().map(Element::toXml).reduce("", String::concat);
        assertThat(toCarol).as("the history a newcomer gets").doesNotContain("watches").contains("retracted");
        host.sent.clear();
        handle(moderate, OWNER, ROOM);
        assertThat(host.sent).as("retracting again says nothing more").hasSize(1);
    }
}
