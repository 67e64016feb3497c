package dev.strata.xep0045;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.strata.api.InvalidJidException;
import dev.strata.api.Jid;
import dev.strata.api.stanza.Iq;
import dev.strata.api.stanza.Messages;
import dev.strata.api.stanza.Origin;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.storage.ArchiveStore;
import dev.strata.api.storage.MamQuery;
import dev.strata.api.xml.DataForm;
import dev.strata.api.xml.Element;

/**
 * One room of XEP-0045 Multi-User Chat: its configuration, affiliations, occupants, history and
 * subject, and every stanza addressed to it or to one of its occupants.
 *
 * <p>Threading: every method that reads or changes the room holds the room's monitor, so one
 * room's stanzas are handled one at a time, in the order their senders' workers reach it, while
 * other rooms go on in parallel; there is no lock over the service. What the room sends goes out
 * through {@link Host#send} while the monitor is held, so occupants see presence and messages in
 * the order the room produced them.
 */
final class Room {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Room.class);
    static final String CLIENT = "jabber:client";
    static final String MUC = "http://jabber.org/protocol/muc";
    static final String USER = MUC + "#user";
    static final String ADMIN = MUC + "#admin";
    static final String OWNER = MUC + "#owner";
    static final String REQUEST = MUC + "#request";
    static final String ROOMINFO = MUC + "#roominfo";
    static final String OCCUPANT_ID = "urn:xmpp:occupant-id:0";
    static final String DISCO_INFO = "http://jabber.org/protocol/disco#info";
    static final String DISCO_ITEMS = "http://jabber.org/protocol/disco#items";
    static final String PING = "urn:xmpp:ping";
    static final String VCARD = "vcard-temp";
    static final String VCARD_UPDATE = "vcard-temp:x:update";
    static final String REGISTER = "jabber:iq:register";
    static final String REGISTER_FORM = MUC + "#register";
    /** §7.12: the disco node under which a room tells a user its registered nickname. */
    static final String ROOMUSER_NODE = "x-roomuser-item";
    static final String STORED_NS = "urn:strata:muc:0";
    /** XEP-0425 1.0 (0.3.0): moderators retract occupants' messages; XEP-0424's retraction and tombstone. */
    static final String MODERATE = "urn:xmpp:message-moderate:1";
    static final String RETRACT = "urn:xmpp:message-retract:1";
    /** XEP-0425 0.2 on XEP-0422 fastening, which clients of its time still speak (slixmpp 1.8, Poezio): taken and answered too. */
    static final String MODERATE0 = "urn:xmpp:message-moderate:0", RETRACT0 = "urn:xmpp:message-retract:0", FASTEN = "urn:xmpp:fasten:0";
    /** Prefix of the ids of IQs the room forwards between occupants (§7.5 and XEP-0410): the way back is in the id. */
    private static final String FORWARDED = "muc~";
    /** Stanza errors from an occupant that say the room cannot reach it any more (§18.1 of XEP-0045: remove it). */
    private static final List<String> GONE = List.of("gone", "item-not-found", "recipient-unavailable", "redirect", "remote-server-not-found",
            "remote-server-timeout", "service-unavailable");

    /** What a room needs from the service that hosts it. */
    interface Host {
        /** Delivers a stanza the room sends ('from' the room or an occupant); errors for it come back to {@code from}. */
        void send(Element stanza, Origin from);

        /** The room's configuration, affiliations or subject changed: stored when it is persistent, forgotten when it stopped being so. */
        void changed(Room room);

        /** The room was destroyed, or was temporary and its last occupant left: it is gone from the service and from storage. */
        void gone(Room room);

        /** The service's limits: most occupants of a room, most messages of history a room keeps. */
        int maxUsers();

        int maxHistory();

        /** The message archive, or null while no archive module is loaded (rooms then keep no logs). */
        ArchiveStore archive();

        /** Messages (to the room or private) an occupant may send a second, and in a burst: past them, resource-constraint. */
        double messageRate();

        int messageBurst();

        /** XEP-0313 query pages of room archives: the usual size, and the most a query gets. */
        int pageSize();

        int maxPageSize();

        /** Server administrators are owners of every room (XEP-0045 §5.2: a service may give them that). */
        boolean isServerAdmin(Jid user);
    }

    /** A message of the room's discussion history, as broadcast, and when. */
    private record Said(Element message, Instant at, int chars) {
    }

    final Jid jid;
    private final Host host;
    private final Origin origin;
    RoomConfig config;
    /** Bare JID to affiliation, for every affiliation but none. */
    private final Map<Jid, Affiliation> affiliations = new LinkedHashMap<>();
    private final Map<String, Occupant> occupants = new LinkedHashMap<>();
    private final Map<Jid, Occupant> bySession = new HashMap<>();
    private final ArrayDeque<Said> history = new ArrayDeque<>();
    /** The last subject as broadcast (without 'to'), or null when none was ever set. */
    private Element subject;
    /** The room's vCard (XEP-0054 on the room's JID; its photo is the room's avatar), or null. */
    private Element vcard;
    /** XEP-0153: the SHA-1 of the avatar's bytes, "" without one. */
    private String avatarHash = "";
    /** §7.10: nicknames registered with the room, by bare JID; nobody else may use them. */
    private final Map<Jid, String> registered = new LinkedHashMap<>();
    /** Whether the history was filled from the archive (once, after the room was read back). */
    private boolean historyRecalled;
    /** A new room nobody may enter until its owner submits the configuration (§10.1). */
    private boolean locked;
    /** Makes occupant ids (XEP-0421) that no one outside the room can link to a JID; kept with the room. */
    private final String salt;
    final Instant created;

    Room(Jid jid, Host host, RoomConfig config, String salt, Instant created) {
        this.jid = jid;
        this.host = host;
        this.config = config;
        this.salt = salt;
        this.created = created;
        this.origin = Origin.of(jid, this::bounced);
    }

    /** A new room, locked, with {@code owner} its owner (§10.1.1). */
    static Room create(Jid jid, Host host, Jid owner, RoomConfig config) {
        byte[] b = new byte[16];
        new SecureRandom().nextBytes(b);
        Room r = new Room(jid, host, config, HexFormat.of().formatHex(b), Instant.now());
        r.affiliations.put(owner.bare(), Affiliation.OWNER);
        r.locked = true;
        return r;
    }

    // --- what the service and the console read ---------------------------------------------------

    synchronized int occupantCount() {
        return occupants.size();
    }

    synchronized boolean isEmpty() {
        return occupants.isEmpty();
    }

    synchronized boolean isLocked() {
        return locked;
    }

    /** An instant room (§10.1.2), or a room made by a client that does not speak MUC (GC 1.0): open at once. */
    synchronized void unlock() {
        locked = false;
    }

    synchronized boolean listed() {
        return config.publicRoom && !locked;
    }

    synchronized String name() {
        return config.name.isBlank() ? jid.local() : config.name;
    }

    synchronized boolean ownedBy(Jid user) {
        return affiliations.get(user.bare()) == Affiliation.OWNER;
    }

    synchronized Map<Jid, Affiliation> affiliations() {
        return Map.copyOf(affiliations);
    }

    synchronized List<String> occupantLines() {
        List<String> out = new ArrayList<>();
        for (Occupant o : occupants.values()) out.add(o.nick + "  " + o.role.value() + "  " + affiliation(o.user).value() + "  " + o.sessions);
        return out;
    }

    Affiliation affiliation(Jid user) {
        Affiliation a = affiliations.get(user.bare());
        if (a != null) return a;
        return host.isServerAdmin(user.bare()) ? Affiliation.OWNER : Affiliation.NONE;
    }

    // --- dispatch -----------------------------------------------------------------------------------

    /** A stanza to the room's JID or to one of its occupants; errors are thrown for the service to send back. */
    synchronized void handle(Element stanza, Jid from, Jid to) throws StanzaException {
        String nick = to.resource();
        switch (stanza.name()) {
            case "presence" -> presence(stanza, from, nick);
            case "message" -> {
                if ("error".equals(stanza.attribute("type"))) errorFrom(stanza, from);
                else if (nick == null) toRoom(stanza, from);
                else privateMessage(stanza, from, nick);
            }
            case "iq" -> {
                if (nick == null) iqToRoom(stanza, from);
                else iqToOccupant(stanza, from, nick);
            }
            default -> { }
        }
    }

    // --- presence: enter, change, leave (§7.1–7.2, §7.6, §7.7, §7.14) ------------------------------

    private void presence(Element p, Jid from, String nick) throws StanzaException {
        String type = p.attribute("type");
        Occupant current = bySession.get(from);
        if ("unavailable".equals(type)) {
            if (current != null) leave(current, from, p);
            return;
        }
        if ("error".equals(type)) {
            errorFrom(p, from);
            return;
        }
        if (type != null) return; // subscriptions and probes mean nothing to a room
        if (nick == null || nick.isBlank()) {
            throw new StanzaException(StanzaError.JID_MALFORMED, "Enter a room by sending presence to room@service/nickname; the nickname is missing");
        }
        if (current == null) {
            enter(p, from, nick, false);
        } else if (current.nick.equals(nick)) {
            if (p.child("x", MUC).isPresent()) { // entering again from the same session: it lost the room's state (§7.2.1 note)
                current.presence = cleaned(p);
                sendState(current, from, p.child("x", MUC).get(), List.of());
            } else {
                current.presence = cleaned(p);
                broadcastPresence(current, null, List.of(), null);
            }
        } else {
            changeNick(current, from, nick, p);
        }
    }

    /** Enters a user into the room, or refuses with the error of §7.2.6–7.2.9; {@code creating}: it made the room (status 201). */
    void enter(Element p, Jid from, String nick, boolean creating) throws StanzaException {
        Affiliation aff = affiliation(from);
        Element x = p.child("x", MUC).orElse(null);
        if (locked && aff != Affiliation.OWNER) {
            throw new StanzaException(StanzaError.ITEM_NOT_FOUND, "The room " + jid + " is locked until its owner configures it");
        }
        if (aff == Affiliation.OUTCAST) throw new StanzaException(StanzaError.FORBIDDEN, "You are banned from " + jid);
        if (config.membersOnly && !aff.atLeast(Affiliation.MEMBER)) {
            throw new StanzaException(StanzaError.REGISTRATION_REQUIRED, "Only members may enter " + jid);
        }
        Occupant holder = occupants.get(nick);
        if (holder != null && !holder.user.equals(from.bare())) {
            throw new StanzaException(StanzaError.CONFLICT, "The nickname '" + nick + "' is taken in " + jid);
        }
        reservedCheck(nick, from);
        if (config.passwordProtected && !creating) {
            String given = x == null ? null : x.child("password", MUC).map(Element::text).orElse(null);
            if (given == null) throw new StanzaException(StanzaError.NOT_AUTHORIZED, jid + " needs a password to enter");
            if (!MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8), config.secret.getBytes(StandardCharsets.UTF_8))) {
                throw new StanzaException(StanzaError.NOT_AUTHORIZED, "The password for " + jid + " is wrong");
            }
        }
        if (holder == null && occupants.size() >= config.maxUsers && !aff.isAdmin()) {
            throw new StanzaException(StanzaError.SERVICE_UNAVAILABLE, jid + " is full (" + config.maxUsers + " occupants)");
        }
        if (holder != null) { // the same user from another session, under its nickname (§7.2.10 of some services; Prosody and ejabberd both allow it)
            holder.sessions.add(from);
            bySession.put(from, holder);
            sendState(holder, from, x, List.of());
            return;
        }
        Occupant o = new Occupant(nick, from.bare(), roleFor(aff), cleaned(p));
        o.sessions.add(from);
        // §7.2.3: the others' presence first, then the newcomer's to the others and itself, history, subject
        for (Occupant other : List.copyOf(occupants.values())) send(presence(other, from, sees(o), false, List.of(), null));
        occupants.put(nick, o);
        bySession.put(from, o);
        List<Integer> selfCodes = new ArrayList<>();
        if (config.nonAnonymous()) selfCodes.add(100);
        if (logged()) selfCodes.add(170);
        if (creating) selfCodes.add(201);
        broadcastPresence(o, null, selfCodes, null, from);
        sendHistory(from, x);
        sendSubject(from);
    }

    /** The room's state for one session of an occupant already in: everyone's presence, its own (110), history, subject. */
    private void sendState(Occupant self, Jid to, Element x, List<Integer> codes) {
        for (Occupant other : List.copyOf(occupants.values())) {
            if (other != self) send(presence(other, to, sees(self), false, List.of(), null));
        }
        List<Integer> selfCodes = new ArrayList<>(codes);
        selfCodes.add(0, 110);
        if (config.nonAnonymous()) selfCodes.add(100);
        if (logged()) selfCodes.add(170);
        send(presence(self, to, true, false, selfCodes, null));
        sendHistory(to, x);
        sendSubject(to);
    }

    /** §7.10: a nickname registered by someone else is theirs. */
    private void reservedCheck(String nick, Jid from) throws StanzaException {
        for (Map.Entry<Jid, String> r : registered.entrySet()) {
            if (r.getValue().equals(nick) && !r.getKey().equals(from.bare())) {
                throw new StanzaException(StanzaError.CONFLICT, "The nickname '" + nick + "' is registered with " + jid + " by someone else");
            }
        }
    }

    /** Takes one message from the occupant's allowance, or refuses it: a flood costs the room nothing but this check. */
    private void allowance(Occupant o) throws StanzaException {
        if (!o.take(host.messageRate(), host.messageBurst(), System.nanoTime())) {
            throw new StanzaException(StanzaError.RESOURCE_CONSTRAINT, "Too many messages: at most " + (int) host.messageRate() + " a second (bursts of "
                    + host.messageBurst() + ") in " + jid + "; this one was not sent");
        }
    }

    private Role roleFor(Affiliation aff) {
        if (aff.isAdmin()) return Role.MODERATOR;
        if (config.moderated && aff == Affiliation.NONE) return Role.VISITOR;
        return Role.PARTICIPANT;
    }

    private void changeNick(Occupant o, Jid from, String nick, Element p) throws StanzaException {
        Occupant holder = occupants.get(nick);
        if (holder != null) throw new StanzaException(StanzaError.CONFLICT, "The nickname '" + nick + "' is taken in " + jid);
        reservedCheck(nick, from);
        if (o.sessions.size() > 1) {
            throw new StanzaException(StanzaError.NOT_ACCEPTABLE, "This nickname is used by " + o.sessions.size() + " of your sessions; leave with the others first");
        }
        // §7.6: unavailable from the old nick with 303 and the new nick, then available from the new one
        String old = o.nick;
        broadcastPresence(o, "unavailable", List.of(303), item -> item.attribute("nick", nick), 303);
        occupants.remove(old);
        o.nick = nick;
        o.presence = cleaned(p);
        occupants.put(nick, o);
        broadcastPresence(o, null, List.of(), null);
    }

    private void leave(Occupant o, Jid from, Element p) {
        if (o.sessions.size() > 1) { // one session of several leaves: only it is told
            o.sessions.remove(from);
            bySession.remove(from);
            send(presence(o, from, true, true, List.of(110), null, p.child("status", CLIENT).orElse(null)));
            return;
        }
        Element status = p.child("status", CLIENT).orElse(null);
        for (Occupant v : List.copyOf(occupants.values())) {
            for (Jid s : v.sessions) {
                send(presence(o, s, sees(v), true, v == o ? List.of(110) : List.of(), null, status));
            }
        }
        drop(o);
    }

    /** Takes an occupant out (it was told already) and ends a temporary room that is left empty. */
    private void drop(Occupant o) {
        occupants.remove(o.nick);
        for (Jid s : o.sessions) bySession.remove(s);
        if (occupants.isEmpty() && !config.persistent && !locked) host.gone(this);
        if (occupants.isEmpty() && locked) host.gone(this); // its owner left before configuring it
    }

    /**
     * Removes an occupant for a reason the others are told by status codes (301 banned, 307 kicked,
     * 321 affiliation, 322 members-only, 332 shutdown, 333 unreachable), with the actor and reason.
     */
    private void remove(Occupant o, List<Integer> codes, String actor, String reason) {
        java.util.function.Consumer<Element.Builder> extra = item -> {
            if (actor != null) item.child(Element.builder("actor", USER).attribute("nick", actor).build());
            if (reason != null && !reason.isBlank()) item.child(Element.builder("reason", USER).text(reason).build());
        };
        o.role = Role.NONE;
        for (Occupant v : List.copyOf(occupants.values())) {
            for (Jid s : List.copyOf(v.sessions)) {
                List<Integer> c = new ArrayList<>(codes);
                if (v == o) c.add(0, 110);
                send(presence(o, s, sees(v), true, c, extra));
            }
        }
        drop(o);
    }

    /** An error from an occupant (a bounce of what the room sent it): the room stops sending to that session (§18.1). */
    private void errorFrom(Element stanza, Jid from) {
        Occupant o = bySession.get(from);
        if (o == null) return;
        String condition = stanza.child("error", CLIENT).flatMap(e -> e.elements().filter(c -> c.namespace().equals(StanzaError.NS)).findFirst())
                .map(Element::name).orElse("undefined-condition");
        if (!GONE.contains(condition)) return;
        if (o.sessions.size() > 1) {
            o.sessions.remove(from);
            bySession.remove(from);
        } else {
            remove(o, List.of(333), null, "The room could not reach this session (" + condition + ")");
        }
    }

    /** What the router returns for a stanza the room sent: an error means the session is gone. */
    private synchronized void bounced(Element reply) {
        if (!"error".equals(reply.attribute("type"))) return;
        Optional<Jid> from = Jid.tryParse(String.valueOf(reply.attribute("from")));
        if (from.isPresent()) errorFrom(reply, from.get());
    }

    // --- presence stanzas ---------------------------------------------------------------------------

    /** Whether occupant {@code viewer} sees real JIDs: in a non-anonymous room, or as a moderator (§5.1.3). */
    private boolean sees(Occupant viewer) {
        return config.nonAnonymous() || viewer.role == Role.MODERATOR;
    }

    /** Sends an occupant's presence to every session in the room, the occupant's own sessions with 110 and {@code selfCodes}. */
    private void broadcastPresence(Occupant o, String type, List<Integer> selfCodes, java.util.function.Consumer<Element.Builder> item, int... othersCodes) {
        broadcastPresence(o, type, selfCodes, item, (Jid) null, othersCodes);
    }

    private void broadcastPresence(Occupant o, String type, List<Integer> selfCodes, java.util.function.Consumer<Element.Builder> item, Jid onlyThisSelf,
            int... othersCodes) {
        List<Integer> others = new ArrayList<>();
        for (int c : othersCodes) others.add(c);
        for (Occupant v : List.copyOf(occupants.values())) {
            for (Jid s : List.copyOf(v.sessions)) {
                if (v == o) {
                    if (onlyThisSelf != null && !s.equals(onlyThisSelf)) continue;
                    List<Integer> codes = new ArrayList<>();
                    codes.add(110);
                    for (int c : selfCodes) if (!codes.contains(c)) codes.add(c);
                    for (int c : others) if (!codes.contains(c)) codes.add(c);
                    send(presence(o, s, true, "unavailable".equals(type), codes, item));
                } else {
                    send(presence(o, s, sees(v), "unavailable".equals(type), others, item));
                }
            }
        }
    }

    private Element presence(Occupant o, Jid to, boolean showJid, boolean unavailable, List<Integer> codes, java.util.function.Consumer<Element.Builder> itemExtra) {
        return presence(o, to, showJid, unavailable, codes, itemExtra, null);
    }

    /** An occupant's presence as one recipient gets it (§7.2.3): its own presence, the room's {@code <x/>}, its occupant id. */
    private Element presence(Occupant o, Jid to, boolean showJid, boolean unavailable, List<Integer> codes,
            java.util.function.Consumer<Element.Builder> itemExtra, Element status) {
        Element.Builder b = Element.builder("presence", CLIENT).attribute("from", jid + "/" + o.nick).attribute("to", to.toString());
        if (unavailable) {
            b.attribute("type", "unavailable");
            if (status != null) b.child(status);
        } else if (o.presence != null) {
            b.children(o.presence.elements().toList());
        }
        Element.Builder item = Element.builder("item", USER).attribute("affiliation", affiliation(o.user).value())
                .attribute("role", unavailable && !codes.contains(303) ? "none" : o.role.value());
        if (showJid) item.attribute("jid", o.first().toString());
        if (itemExtra != null) itemExtra.accept(item);
        Element.Builder x = Element.builder("x", USER).child(item.build());
        for (int c : codes) x.child(Element.builder("status", USER).attribute("code", Integer.toString(c)).build());
        b.child(x.build());
        b.child(Element.builder("occupant-id", OCCUPANT_ID).attribute("id", occupantId(o.user)).build());
        return b.build();
    }

    /** The occupant's presence without what the room adds itself (and what a client must not forge). */
    private static Element cleaned(Element p) {
        return p.without(c -> c.is("x", MUC) || c.is("x", USER) || c.namespace().equals(OCCUPANT_ID))
                .toBuilder().attribute("to", null).attribute("from", null).attribute("id", null).build();
    }

    /** XEP-0421: a stable id for a user in this room that reveals nothing of its JID. */
    String occupantId(Jid user) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(salt.getBytes(StandardCharsets.UTF_8));
            d.update((byte) 0);
            d.update(user.bare().toString().getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(d.digest()).substring(0, 22);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    // --- history and subject (§7.2.13–7.2.15) -------------------------------------------------------

    /**
     * A logging room read back after a restart has no history in memory: its archive has the last
     * messages, read once, when someone first enters.
     */
    private void recallHistory() {
        if (historyRecalled) return;
        historyRecalled = true;
        ArchiveStore archive = logged() ? host.archive() : null;
        if (archive == null || !history.isEmpty() || config.historyLength == 0) return;
        try {
            archive.query(jid, new ArchiveStore.Query(null, null, null, null, null, List.of(), config.historyLength, true)).ifPresent(page -> {
                for (ArchiveStore.Entry e : page.entries()) history.addLast(new Said(e.stanza(), e.stamp(), e.stanza().toXml().length()));
            });
        } catch (RuntimeException e) {
            // the archive failed: those entering get no history this time, and nothing else changes
        }
    }

    private void sendHistory(Jid to, Element x) {
        recallHistory();
        int max = config.historyLength;
        Integer maxChars = null;
        Instant since = null;
        Element h = x == null ? null : x.child("history", MUC).orElse(null);
        if (h != null) {
            max = Math.min(max, intAttribute(h, "maxstanzas", max));
            if (h.attribute("maxchars") != null) maxChars = intAttribute(h, "maxchars", Integer.MAX_VALUE);
            if (h.attribute("seconds") != null) since = Instant.now().minusSeconds(intAttribute(h, "seconds", Integer.MAX_VALUE));
            if (h.attribute("since") != null) {
                try {
                    Instant s = Instant.parse(h.attribute("since"));
                    if (since == null || s.isAfter(since)) since = s;
                } catch (DateTimeParseException e) {
                    // an unreadable date limits nothing
                }
            }
        }
        if (max <= 0 || (maxChars != null && maxChars <= 0)) return;
        List<Said> picked = new ArrayList<>();
        int chars = 0;
        for (Iterator<Said> it = history.descendingIterator(); it.hasNext() && picked.size() < max;) {
            Said s = it.next();
            if (since != null && s.at().isBefore(since)) break;
            if (maxChars != null && chars + s.chars() > maxChars) break;
            chars += s.chars();
            picked.add(0, s);
        }
        for (Said s : picked) {
            send(Messages.delayed(s.message().toBuilder().attribute("to", to.toString()).build(), jid.toString(), s.at(), null));
        }
    }

    private static int intAttribute(Element e, String name, int otherwise) {
        try {
            return Math.max(0, Integer.parseInt(e.attribute(name)));
        } catch (NumberFormatException | NullPointerException ex) {
            return otherwise;
        }
    }

    private void sendSubject(Jid to) {
        Element s = subject != null ? subject
                : Element.builder("message", CLIENT).attribute("type", "groupchat").attribute("from", jid.toString())
                        .child(Element.of("subject", CLIENT)).build();
        send(s.toBuilder().attribute("to", to.toString()).attribute("id", null).build());
    }

    // --- messages (§7.4, §7.5, §7.8, §7.13, §8.1) ---------------------------------------------------

    private void toRoom(Element m, Jid from) throws StanzaException {
        Optional<Element> x = m.child("x", USER);
        if (x.isPresent() && x.get().child("invite", USER).isPresent()) {
            invite(m, from, x.get());
            return;
        }
        if (x.isPresent() && x.get().child("decline", USER).isPresent()) {
            decline(from, x.get().child("decline", USER).get());
            return;
        }
        Optional<Element> form = m.child("x", DataForm.NS).filter(f -> DataForm.value(f, "FORM_TYPE").filter(REQUEST::equals).isPresent());
        if (form.isPresent()) {
            voiceRequest(from, form.get());
            return;
        }
        if (!"groupchat".equals(m.attribute("type"))) {
            throw new StanzaException(StanzaError.BAD_REQUEST, "Messages to the room itself must be of type groupchat (to talk to one occupant, send to room@service/nick)");
        }
        Occupant o = bySession.get(from);
        if (o == null) throw new StanzaException(StanzaError.NOT_ACCEPTABLE, "Only occupants may send messages to " + jid + "; enter it first");
        allowance(o);
        boolean subjectChange = m.child("subject", CLIENT).isPresent() && m.child("body", CLIENT).isEmpty();
        if (subjectChange) {
            if (o.role != Role.MODERATOR && !(config.changeSubject && o.role.hasVoice())) {
                throw new StanzaException(StanzaError.FORBIDDEN, "Only moderators may change the subject of " + jid);
            }
        } else if (!o.role.hasVoice()) {
            throw new StanzaException(StanzaError.FORBIDDEN, "Visitors have no voice in the moderated room " + jid + "; ask a moderator for it");
        }
        // what only the room may say: occupant ids, and stanza ids by the room (XEP-0359 §4)
        Element out = m.without(c -> c.is("x", USER) || c.namespace().equals(OCCUPANT_ID) || (c.is("stanza-id", MamQuery.SID) && jid.toString().equals(c.attribute("by"))))
                .toBuilder().attribute("from", jid + "/" + o.nick).attribute("to", null)
                .child(Element.builder("occupant-id", OCCUPANT_ID).attribute("id", occupantId(o.user)).build()).build();
        ArchiveStore archive = logged() ? host.archive() : null;
        if (!subjectChange && archive != null && Messages.hasContent(m) && !Messages.hint(m, "no-store") && !Messages.hint(m, "no-permanent-store")) {
            String id = archive.append(jid, jid.withResource(o.nick), Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS), out);
            out = out.toBuilder().child(Element.builder("stanza-id", MamQuery.SID).attribute("id", id).attribute("by", jid.toString()).build()).build();
        }
        if (subjectChange) {
            subject = out.without(c -> c.namespace().equals(Messages.DELAY));
            host.changed(this);
        } else if (config.historyLength > 0 && Messages.hasContent(m)) {
            history.addLast(new Said(out, Instant.now(), out.toXml().length()));
            while (history.size() > config.historyLength) history.removeFirst();
        }
        for (Occupant v : List.copyOf(occupants.values())) {
            for (Jid s : List.copyOf(v.sessions)) send(out.toBuilder().attribute("to", s.toString()).build());
        }
    }

    private void privateMessage(Element m, Jid from, String nick) throws StanzaException {
        if ("groupchat".equals(m.attribute("type"))) {
            throw new StanzaException(StanzaError.BAD_REQUEST, "A private message to an occupant must not be of type groupchat");
        }
        Occupant sender = bySession.get(from);
        if (sender == null) throw new StanzaException(StanzaError.NOT_ACCEPTABLE, "Only occupants of " + jid + " may send private messages in it");
        boolean allowed = switch (config.allowPm) {
            case "anyone" -> true;
            case "participants" -> sender.role.hasVoice();
            case "moderators" -> sender.role == Role.MODERATOR;
            default -> false;
        };
        if (!allowed) throw new StanzaException(StanzaError.FORBIDDEN, "Private messages are not allowed in " + jid + " (" + config.allowPm + ")");
        allowance(sender);
        Occupant target = occupants.get(nick);
        if (target == null) throw new StanzaException(StanzaError.ITEM_NOT_FOUND, "No occupant of " + jid + " is named '" + nick + "'");
        Element out = m.without(c -> c.is("x", USER) || c.namespace().equals(OCCUPANT_ID)).toBuilder().attribute("from", jid + "/" + sender.nick)
                .child(Element.of("x", USER))
                .child(Element.builder("occupant-id", OCCUPANT_ID).attribute("id", occupantId(sender.user)).build()).build();
        for (Jid s : List.copyOf(target.sessions)) send(out.toBuilder().attribute("to", s.toString()).build());
    }

    /** §7.8.2 mediated invitation: the room passes it on, and in a members-only room makes the invitee a member. */
    private void invite(Element m, Jid from, Element x) throws StanzaException {
        Affiliation aff = affiliation(from);
        Occupant o = bySession.get(from);
        if (o == null && !aff.isAdmin()) throw new StanzaException(StanzaError.NOT_ACCEPTABLE, "Only occupants of " + jid + " may invite others");
        boolean mayAddMembers = aff.isAdmin() || config.allowInvites;
        if (config.membersOnly && !mayAddMembers) {
            throw new StanzaException(StanzaError.FORBIDDEN, "Only admins and owners may invite others to the members-only room " + jid);
        }
        List<Element> invites = x.elements().filter(e -> e.is("invite", USER)).toList();
        List<Jid> invitees = new ArrayList<>();
        for (Element inv : invites) {
            try {
                invitees.add(Jid.of(String.valueOf(inv.attribute("to"))));
            } catch (InvalidJidException e) {
                throw new StanzaException(StanzaError.JID_MALFORMED, "An invitation's 'to' is not a JID: " + inv.attribute("to"));
            }
        }
        boolean changed = false;
        for (int i = 0; i < invites.size(); i++) {
            Jid invitee = invitees.get(i);
            Element.Builder inv = Element.builder("invite", USER).attribute("from", from.toString());
            invites.get(i).child("reason", USER).ifPresent(inv::child);
            invites.get(i).child("continue", USER).ifPresent(inv::child);
            Element.Builder ux = Element.builder("x", USER).child(inv.build());
            if (config.passwordProtected) ux.child(Element.builder("password", USER).text(config.secret).build());
            Element.Builder msg = Element.builder("message", CLIENT).attribute("from", jid.toString()).attribute("to", invitee.toString());
            if (m.attribute("id") != null) msg.attribute("id", m.attribute("id"));
            msg.child(ux.build());
            msg.child(Element.builder("body", CLIENT).text(from.bare() + " invites you to the room " + jid
                    + invites.get(i).child("reason", USER).map(r -> ": " + r.text()).orElse("")).build());
            send(msg.build());
            if (config.membersOnly && mayAddMembers && affiliation(invitee) == Affiliation.NONE) {
                affiliations.put(invitee.bare(), Affiliation.MEMBER);
                changed = true;
            }
        }
        if (changed) host.changed(this);
    }

    /** §7.8.2 decline: passed on to the inviter. */
    private void decline(Jid from, Element d) throws StanzaException {
        Jid inviter;
        try {
            inviter = Jid.of(String.valueOf(d.attribute("to")));
        } catch (InvalidJidException e) {
            throw new StanzaException(StanzaError.JID_MALFORMED, "The decline's 'to' is not a JID: " + d.attribute("to"));
        }
        Element.Builder dec = Element.builder("decline", USER).attribute("from", from.bare().toString());
        d.child("reason", USER).ifPresent(dec::child);
        send(Element.builder("message", CLIENT).attribute("from", jid.toString()).attribute("to", inviter.toString())
                .child(Element.builder("x", USER).child(dec.build()).build()).build());
    }

    /**
     * §7.13 a visitor asks for voice: the request goes to the moderators as a form; §8.6 a moderator
     * answers with the form, {@code muc#request_allow} true granting voice.
     */
    private void voiceRequest(Jid from, Element form) throws StanzaException {
        Occupant o = bySession.get(from);
        if (o == null) throw new StanzaException(StanzaError.NOT_ACCEPTABLE, "Only occupants of " + jid + " may ask for voice");
        if ("submit".equals(form.attribute("type")) && o.role == Role.MODERATOR && DataForm.value(form, "muc#request_allow").isPresent()) {
            boolean allow = DataForm.value(form, "muc#request_allow").filter(v -> v.equals("1") || v.equals("true")).isPresent();
            Occupant target = DataForm.value(form, "muc#roomnick").map(occupants::get).orElse(null);
            if (allow && target != null && target.role == Role.VISITOR) {
                target.role = Role.PARTICIPANT;
                broadcastPresence(target, null, List.of(), item -> item.child(Element.builder("actor", USER).attribute("nick", o.nick).build()));
            }
            return;
        }
        if (o.role != Role.VISITOR) return; // §7.13: only a visitor needs it
        Element request = DataForm.form("form", REQUEST, "Voice request")
                .child(Element.builder("instructions", DataForm.NS).text("To approve this request for voice, select the \"Grant voice\" checkbox and submit this form.").build())
                .child(DataForm.field("muc#role", "list-single", "Requested role", false, List.of("participant")))
                .child(DataForm.field("muc#jid", "jid-single", "User ID", false, List.of(from.bare().toString())))
                .child(DataForm.field("muc#roomnick", "text-single", "Room nickname", false, List.of(o.nick)))
                .child(DataForm.field("muc#request_allow", "boolean", "Grant voice to this person?", false, List.of("false"))).build();
        for (Occupant v : List.copyOf(occupants.values())) {
            if (v.role != Role.MODERATOR) continue;
            for (Jid s : v.sessions) send(Element.builder("message", CLIENT).attribute("from", jid.toString()).attribute("to", s.toString()).child(request).build());
        }
    }

    // --- IQs (§6, §8–§10) ---------------------------------------------------------------------------

    private void iqToRoom(Element stanza, Jid from) throws StanzaException {
        String type = stanza.attribute("type");
        if ("result".equals(type) || "error".equals(type)) return;
        Iq iq = Iq.of(stanza, from, jid);
        Element reply = switch (iq.namespace()) {
            case DISCO_INFO -> iq.type() == Iq.Type.GET ? iq.result(ROOMUSER_NODE.equals(iq.payload().attribute("node")) ? roomUserItem(from)
                    : discoInfo(iq.payload().attribute("node"))) : null;
            case DISCO_ITEMS -> iq.type() == Iq.Type.GET ? iq.result(discoItems(from)) : null;
            case PING -> iq.result(null);
            case VCARD -> iq.type() == Iq.Type.GET ? iq.result(vcard == null ? Element.of("vCard", VCARD) : vcard) : setVcard(iq, from);
            case REGISTER -> iq.type() == Iq.Type.GET ? iq.result(registration(from)) : register(iq, from);
            case ADMIN -> iq.type() == Iq.Type.GET ? iq.result(adminGet(iq, from)) : adminSet(iq, from);
            case OWNER -> iq.type() == Iq.Type.GET ? iq.result(ownerGet(from)) : ownerSet(iq, from);
            case MamQuery.NS -> archiveQuery(iq, from);
            case MODERATE, FASTEN -> moderate(iq, from);
            default -> null;
        };
        if (reply == null) throw new StanzaException(StanzaError.SERVICE_UNAVAILABLE, "The room does not answer " + iq.namespace() + " " + iq.type().value());
        send(reply);
    }

    /**
     * XEP-0425: a moderator retracts an occupant's message, named by the stanza id the room gave it.
     * The archived message becomes a tombstone (its sender and occupant id kept, its content gone,
     * who retracted it and why added), the history others get on entering holds the tombstone too,
     * and every occupant gets the retraction from the room's JID, archived as well so that devices
     * catching up through the archive learn of it. Only a logged room gives stanza ids, so only a
     * logged room moderates.
     */
    private Element moderate(Iq iq, Jid from) throws StanzaException {
        if (iq.type() != Iq.Type.SET) throw new StanzaException(StanzaError.BAD_REQUEST, "A moderation is an iq of type set");
        Occupant moderator = bySession.get(from);
        if (moderator == null || moderator.role != Role.MODERATOR) {
            throw new StanzaException(StanzaError.FORBIDDEN, "Only moderators of " + jid + " may retract others' messages");
        }
        Element request = iq.payload();
        String id = request.attribute("id");
        boolean v0 = request.is("apply-to", FASTEN);
        Element moderate = v0 ? request.child("moderate", MODERATE0).orElse(null) : request.is("moderate", MODERATE) ? request : null;
        if (moderate == null || id == null || id.isBlank()) {
            throw new StanzaException(StanzaError.BAD_REQUEST, "A moderation is <moderate id='the message's stanza id' xmlns='" + MODERATE + "'>"
                    + " (or, in XEP-0425 0.2, <apply-to id='...' xmlns='" + FASTEN + "'><moderate xmlns='" + MODERATE0 + "'>)");
        }
        if (moderate.child("retract", v0 ? RETRACT0 : RETRACT).isEmpty()) {
            throw new StanzaException(StanzaError.FEATURE_NOT_IMPLEMENTED, "Retraction (<retract xmlns='" + (v0 ? RETRACT0 : RETRACT) + "'/>) is the one moderation "
                    + jid + " does");
        }
        ArchiveStore archive = logged() ? host.archive() : null;
        if (archive == null) throw new StanzaException(StanzaError.FEATURE_NOT_IMPLEMENTED, jid + " keeps no archive, so its messages have no stanza ids to retract");
        ArchiveStore.Entry entry = archive.get(jid, id).orElseThrow(() -> new StanzaException(StanzaError.ITEM_NOT_FOUND, jid + " archived no message " + id));
        Element original = entry.stanza();
        if (original.child("retracted", RETRACT).isPresent()) return iq.result(null); // retracted already: nothing more to say
        if (original.attribute("from") == null || original.attribute("from").equals(jid.toString())) {
            throw new StanzaException(StanzaError.NOT_ACCEPTABLE, "Message " + id + " is the room's own, not an occupant's");
        }
        String reason = moderate.child("reason", v0 ? MODERATE0 : MODERATE).map(Element::text).map(String::strip).filter(r -> !r.isEmpty()).orElse(null);
        Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
        String by = jid + "/" + moderator.nick;
        Element moderatorId = Element.builder("occupant-id", OCCUPANT_ID).attribute("id", occupantId(moderator.user)).build();
        Element moderated = Element.builder("moderated", MODERATE).attribute("by", by).child(moderatorId).build();
        // the tombstone and the announcement carry both generations of XEP-0425, so that every client understands them
        Element.Builder retracted = Element.builder("retracted", RETRACT).attribute("stamp", now.toString()).child(moderated);
        if (reason != null) retracted.child(Element.builder("reason", RETRACT).text(reason).build());
        Element.Builder moderated0 = Element.builder("moderated", MODERATE0).attribute("by", by)
                .child(Element.builder("retracted", RETRACT0).attribute("stamp", now.toString()).build());
        if (reason != null) moderated0.child(Element.builder("reason", MODERATE0).text(reason).build());
        Element.Builder tombstone = Element.builder("message", CLIENT).attribute("type", "groupchat").attribute("from", original.attribute("from"))
                .attribute("id", original.attribute("id")).child(retracted.build()).child(moderated0.child(moderatorId).build());
        original.child("occupant-id", OCCUPANT_ID).ifPresent(tombstone::child);
        Element tomb = tombstone.build();
        archive.replace(jid, id, tomb);
        retractFromHistory(id, tomb);

        Element.Builder retract = Element.builder("retract", RETRACT).attribute("id", id).child(moderated);
        if (reason != null) retract.child(Element.builder("reason", RETRACT).text(reason).build());
        Element.Builder announced0 = Element.builder("moderated", MODERATE0).attribute("by", by).child(Element.of("retract", RETRACT0));
        if (reason != null) announced0.child(Element.builder("reason", MODERATE0).text(reason).build());
        Element out = Element.builder("message", CLIENT).attribute("type", "groupchat").attribute("from", jid.toString())
                .attribute("id", java.util.UUID.randomUUID().toString()).child(retract.build())
                .child(Element.builder("apply-to", FASTEN).attribute("id", id).child(announced0.child(moderatorId).build()).build()).build();
        String announced = archive.append(jid, jid, now, out);
        out = out.toBuilder().child(Element.builder("stanza-id", MamQuery.SID).attribute("id", announced).attribute("by", jid.toString()).build()).build();
        LOG.info("{} retracted message {} in {}{}", from.bare(), id, jid, reason == null ? "" : ": " + reason);
        for (Occupant v : List.copyOf(occupants.values())) {
            for (Jid s : List.copyOf(v.sessions)) send(out.toBuilder().attribute("to", s.toString()).build());
        }
        return iq.result(null);
    }

    /** The history's message with stanza id {@code id} becomes {@code tombstone} (with that stanza id). */
    private void retractFromHistory(String id, Element tombstone) {
        List<Said> all = new ArrayList<>(history);
        boolean found = false;
        for (int i = 0; i < all.size(); i++) {
            Said said = all.get(i);
            boolean match = said.message().elements()
                    .anyMatch(c -> c.is("stanza-id", MamQuery.SID) && id.equals(c.attribute("id")) && jid.toString().equals(c.attribute("by")));
            if (match) {
                Element t = tombstone.toBuilder().child(Element.builder("stanza-id", MamQuery.SID).attribute("id", id).attribute("by", jid.toString()).build()).build();
                all.set(i, new Said(t, said.at(), t.toXml().length()));
                found = true;
            }
        }
        if (found) {
            history.clear();
            history.addAll(all);
        }
    }

    /** Whether the room keeps its messages now: logging configured, and an archive there to keep them. */
    private boolean logged() {
        return config.logging && host.archive() != null;
    }

    /**
     * XEP-0313 for a room (§6 of XEP-0313, "MUC archives"): its occupants, and anyone who may enter
     * an open room, page through what it archived; results come from the room's JID.
     */
    private Element archiveQuery(Iq iq, Jid from) throws StanzaException {
        ArchiveStore archive = host.archive();
        if (!config.logging || archive == null) throw new StanzaException(StanzaError.SERVICE_UNAVAILABLE, jid + " keeps no archive");
        Affiliation aff = affiliation(from);
        boolean mayRead = bySession.containsKey(from) || aff.atLeast(Affiliation.MEMBER)
                || (aff != Affiliation.OUTCAST && config.publicRoom && !config.membersOnly && !config.passwordProtected);
        if (!mayRead) throw new StanzaException(StanzaError.FORBIDDEN, "Only occupants and members may read the archive of " + jid);
        Element payload = iq.payload();
        switch (payload.name()) {
            case "query" -> {
                if (iq.type() == Iq.Type.GET) return iq.result(MamQuery.form());
                MamQuery.Answer answer = MamQuery.parse(payload, host.pageSize(), host.maxPageSize()).run(archive, jid, from);
                for (Element r : answer.results()) send(r);
                return iq.result(answer.fin());
            }
            case "metadata" -> {
                return iq.result(MamQuery.metadata(archive, jid));
            }
            default -> throw new StanzaException(StanzaError.FEATURE_NOT_IMPLEMENTED, "<" + payload.name() + "/> is not part of " + MamQuery.NS + " for rooms");
        }
    }

    /** §6.4: the room's identity, features and {@code muc#roominfo}. */
    Element discoInfo(String node) throws StanzaException {
        if (node != null) throw new StanzaException(StanzaError.ITEM_NOT_FOUND, "The room has no disco node '" + node + "'");
        Element.Builder q = Element.builder("query", DISCO_INFO)
                .child(Element.builder("identity", DISCO_INFO).attribute("category", "conference").attribute("type", "text").attribute("name", name()).build());
        List<String> features = new ArrayList<>(List.of(MUC, DISCO_INFO, DISCO_ITEMS, OCCUPANT_ID, PING, VCARD, REGISTER,
                config.persistent ? "muc_persistent" : "muc_temporary",
                config.publicRoom ? "muc_public" : "muc_hidden",
                config.membersOnly ? "muc_membersonly" : "muc_open",
                config.moderated ? "muc_moderated" : "muc_unmoderated",
                config.nonAnonymous() ? "muc_nonanonymous" : "muc_semianonymous",
                config.passwordProtected ? "muc_passwordprotected" : "muc_unsecured"));
        if (!locked) features.add(MUC + "#stable_id");
        if (logged()) features.addAll(List.of(MamQuery.NS, MamQuery.EXTENDED, MamQuery.SID, MODERATE, MODERATE0));
        for (String f : features) q.child(Element.builder("feature", DISCO_INFO).attribute("var", f).build());
        Element.Builder form = DataForm.form("result", ROOMINFO, null)
                .child(DataForm.field("muc#roominfo_description", null, "Description", false, List.of(config.description)))
                .child(DataForm.field("muc#roominfo_occupants", null, "Number of occupants", false, List.of(Integer.toString(occupants.size()))))
                .child(DataForm.field("muc#roomconfig_roomname", null, "Name", false, List.of(config.name)))
                .child(DataForm.field("muc#roominfo_subject", null, "Subject", false,
                        List.of(subject == null ? "" : subject.child("subject", CLIENT).map(Element::text).orElse(""))))
                .child(DataForm.field("muc#roomconfig_changesubject", null, "Occupants may change the subject", false, List.of(config.changeSubject ? "1" : "0")))
                .child(DataForm.field("muc#maxhistoryfetch", null, "Most messages of history", false, List.of(Integer.toString(config.historyLength))))
                .child(DataForm.field("muc#roomconfig_allowpm", null, "Who may send private messages", false, List.of(config.allowPm)));
        if (!config.language.isBlank()) form.child(DataForm.field("muc#roominfo_lang", null, "Language", false, List.of(config.language)));
        if (!avatarHash.isEmpty()) form.child(DataForm.field("muc#roominfo_avatarhash", "text-multi", "Avatar hash", false, List.of(avatarHash)));
        q.child(form.build());
        return q.build();
    }

    /**
     * §6.5: the occupants, by room JID, where who is in the room is public anyway (a listed room
     * anyone may enter); to its occupants always; otherwise nothing.
     */
    private Element discoItems(Jid asker) {
        Element.Builder q = Element.builder("query", DISCO_ITEMS);
        boolean open = config.publicRoom && !config.membersOnly && !config.passwordProtected && !locked;
        if (open || bySession.containsKey(asker)) {
            for (Occupant o : occupants.values()) q.child(Element.builder("item", DISCO_ITEMS).attribute("jid", jid + "/" + o.nick).attribute("name", o.nick).build());
        }
        return q.build();
    }

    /** §9.5, §9.8, §10.5, §10.8 lists: by affiliation (admins and owners), by role (moderators). */
    private Element adminGet(Iq iq, Jid from) throws StanzaException {
        Element item = iq.payload().child("item", ADMIN)
                .orElseThrow(() -> new StanzaException(StanzaError.BAD_REQUEST, "Ask for a list with <item affiliation='...'/> or <item role='...'/>"));
        Element.Builder q = Element.builder("query", ADMIN);
        Occupant asker = bySession.get(from);
        if (item.attribute("affiliation") != null) {
            Affiliation wanted = Affiliation.of(item.attribute("affiliation"))
                    .orElseThrow(() -> new StanzaException(StanzaError.BAD_REQUEST, "'" + item.attribute("affiliation") + "' is not an affiliation"));
            boolean mayRead = affiliation(from).isAdmin()
                    || (wanted == Affiliation.MEMBER && asker != null && asker.role == Role.MODERATOR);
            if (!mayRead) throw new StanzaException(StanzaError.FORBIDDEN, "Only admins and owners may read the " + wanted.value() + " list of " + jid);
            if (wanted == Affiliation.NONE) throw new StanzaException(StanzaError.BAD_REQUEST, "There is no list of the affiliation none");
            affiliations.forEach((user, a) -> {
                if (a != wanted) return;
                Element.Builder i = Element.builder("item", ADMIN).attribute("affiliation", a.value()).attribute("jid", user.toString());
                occupants.values().stream().filter(o -> o.user.equals(user)).findFirst().ifPresent(o -> i.attribute("nick", o.nick));
                q.child(i.build());
            });
        } else if (item.attribute("role") != null) {
            Role wanted = Role.of(item.attribute("role"))
                    .orElseThrow(() -> new StanzaException(StanzaError.BAD_REQUEST, "'" + item.attribute("role") + "' is not a role"));
            if (asker == null || asker.role != Role.MODERATOR) throw new StanzaException(StanzaError.FORBIDDEN, "Only moderators may read the " + wanted.value() + " list of " + jid);
            for (Occupant o : occupants.values()) {
                if (o.role != wanted) continue;
                q.child(Element.builder("item", ADMIN).attribute("role", o.role.value()).attribute("nick", o.nick)
                        .attribute("affiliation", affiliation(o.user).value()).attribute("jid", o.first().toString()).build());
            }
        } else {
            throw new StanzaException(StanzaError.BAD_REQUEST, "The <item/> of a list request names an affiliation or a role");
        }
        return q.build();
    }

    private record RoleChange(Occupant target, Role role, String reason) {
    }

    private record AffiliationChange(Jid user, Affiliation affiliation, String reason) {
    }

    /** §8 (moderators change roles by nick) and §9–§10 (admins and owners change affiliations by JID): all items or none. */
    private Element adminSet(Iq iq, Jid from) throws StanzaException {
        Occupant actor = bySession.get(from);
        Role actorRole = actor == null ? Role.NONE : actor.role;
        Affiliation actorAff = affiliation(from);
        List<Element> items = iq.payload().elements().filter(e -> e.is("item", ADMIN)).toList();
        if (items.isEmpty()) throw new StanzaException(StanzaError.BAD_REQUEST, "A muc#admin set needs at least one <item/>");
        List<RoleChange> roles = new ArrayList<>();
        List<AffiliationChange> affs = new ArrayList<>();
        Map<Jid, Affiliation> after = new LinkedHashMap<>(affiliations);
        for (Element item : items) {
            String reason = item.child("reason", ADMIN).map(Element::text).orElse(null);
            if (item.attribute("role") != null && item.attribute("affiliation") != null) {
                throw new StanzaException(StanzaError.BAD_REQUEST, "An item changes either a role or an affiliation, not both (§5.2)");
            }
            if (item.attribute("role") != null) {
                Role role = Role.of(item.attribute("role")).orElseThrow(() -> new StanzaException(StanzaError.BAD_REQUEST, "'" + item.attribute("role") + "' is not a role"));
                String nick = item.attribute("nick");
                if (nick == null) throw new StanzaException(StanzaError.BAD_REQUEST, "A role is changed by 'nick'");
                if (actorRole != Role.MODERATOR) throw new StanzaException(StanzaError.FORBIDDEN, "Only moderators may change roles in " + jid);
                Occupant target = occupants.get(nick);
                if (target == null) throw new StanzaException(StanzaError.ITEM_NOT_FOUND, "No occupant of " + jid + " is named '" + nick + "'");
                Affiliation targetAff = affiliation(target.user);
                if (role == Role.NONE && (targetAff.isAdmin() || targetAff.ordinal() < actorAff.ordinal())) {
                    throw new StanzaException(StanzaError.NOT_ALLOWED, "'" + nick + "' is " + targetAff.value() + " of " + jid + " and cannot be kicked by a " + actorAff.value());
                }
                if ((role == Role.VISITOR || role == Role.PARTICIPANT) && targetAff.isAdmin()) {
                    throw new StanzaException(StanzaError.NOT_ALLOWED, "'" + nick + "' is " + targetAff.value() + " of " + jid + " and stays a moderator");
                }
                if ((role == Role.MODERATOR || target.role == Role.MODERATOR) && !actorAff.isAdmin()) {
                    throw new StanzaException(StanzaError.NOT_ALLOWED, "Only admins and owners may grant or revoke moderator status in " + jid);
                }
                roles.add(new RoleChange(target, role, reason));
            } else if (item.attribute("affiliation") != null) {
                Affiliation aff = Affiliation.of(item.attribute("affiliation"))
                        .orElseThrow(() -> new StanzaException(StanzaError.BAD_REQUEST, "'" + item.attribute("affiliation") + "' is not an affiliation"));
                Jid user = userOf(item);
                if (!actorAff.isAdmin()) throw new StanzaException(StanzaError.FORBIDDEN, "Only admins and owners may change affiliations in " + jid);
                Affiliation current = after.getOrDefault(user, Affiliation.NONE);
                if (actorAff != Affiliation.OWNER) {
                    if (aff.isAdmin()) throw new StanzaException(StanzaError.FORBIDDEN, "Only owners may make admins and owners of " + jid);
                    if (current.isAdmin()) throw new StanzaException(StanzaError.NOT_ALLOWED, user + " is " + current.value() + " of " + jid + "; only owners change that");
                }
                if (aff == Affiliation.NONE) after.remove(user);
                else after.put(user, aff);
                affs.add(new AffiliationChange(user, aff, reason));
            } else {
                throw new StanzaException(StanzaError.BAD_REQUEST, "An <item/> names a role or an affiliation");
            }
        }
        if (!affs.isEmpty() && !after.containsValue(Affiliation.OWNER)) {
            throw new StanzaException(StanzaError.CONFLICT, jid + " must keep at least one owner");
        }
        String actorNick = actor == null ? null : actor.nick;
        for (RoleChange c : roles) {
            if (!occupants.containsValue(c.target())) continue;
            if (c.role() == Role.NONE) remove(c.target(), List.of(307), actorNick, c.reason());
            else {
                c.target().role = c.role();
                broadcastPresence(c.target(), null, List.of(), extras(actorNick, c.reason()));
            }
        }
        for (AffiliationChange c : affs) applyAffiliation(c.user(), c.affiliation(), actorNick, c.reason());
        if (!affs.isEmpty()) host.changed(this);
        return iq.result(null);
    }

    private static java.util.function.Consumer<Element.Builder> extras(String actor, String reason) {
        return item -> {
            if (actor != null) item.child(Element.builder("actor", USER).attribute("nick", actor).build());
            if (reason != null && !reason.isBlank()) item.child(Element.builder("reason", USER).text(reason).build());
        };
    }

    private Jid userOf(Element item) throws StanzaException {
        if (item.attribute("jid") != null) {
            try {
                return Jid.of(item.attribute("jid")).bare();
            } catch (InvalidJidException e) {
                throw new StanzaException(StanzaError.JID_MALFORMED, "'" + item.attribute("jid") + "' is not a JID: " + e.getMessage());
            }
        }
        if (item.attribute("nick") != null) {
            Occupant o = occupants.get(item.attribute("nick"));
            if (o == null) throw new StanzaException(StanzaError.ITEM_NOT_FOUND, "No occupant of " + jid + " is named '" + item.attribute("nick") + "'");
            return o.user;
        }
        throw new StanzaException(StanzaError.BAD_REQUEST, "An affiliation is changed by 'jid'");
    }

    /** Sets an affiliation and tells the room: banned (301) and, in a members-only room, no longer members (321) leave. */
    private void applyAffiliation(Jid user, Affiliation aff, String actorNick, String reason) {
        if (aff == Affiliation.NONE) affiliations.remove(user);
        else affiliations.put(user, aff);
        for (Occupant o : List.copyOf(occupants.values())) {
            if (!o.user.equals(user)) continue;
            if (aff == Affiliation.OUTCAST) remove(o, List.of(301), actorNick, reason);
            else if (config.membersOnly && !aff.atLeast(Affiliation.MEMBER)) remove(o, List.of(321), actorNick, reason);
            else {
                Role role = aff.isAdmin() ? Role.MODERATOR : o.role == Role.MODERATOR ? roleFor(aff) : o.role == Role.VISITOR && aff == Affiliation.MEMBER ? Role.PARTICIPANT : o.role;
                o.role = role;
                broadcastPresence(o, null, List.of(), extras(actorNick, reason));
            }
        }
    }

    // --- the room's vCard and avatar (XEP-0054, XEP-0153, §6.4's muc#roominfo_avatarhash) --------------

    private static final int MAX_VCARD_CHARS = 256 * 1024;

    /** Owners set the room's vCard; its photo is the room's avatar, announced to the occupants by its hash. */
    private Element setVcard(Iq iq, Jid from) throws StanzaException {
        if (affiliation(from) != Affiliation.OWNER) throw new StanzaException(StanzaError.FORBIDDEN, "Only owners may set the vCard of " + jid);
        Element card = iq.payload();
        if (!card.name().equals("vCard")) throw new StanzaException(StanzaError.BAD_REQUEST, "A vcard-temp set carries <vCard/>");
        if (card.toXml().length() > MAX_VCARD_CHARS) {
            throw new StanzaException(StanzaError.NOT_ACCEPTABLE, "A room's vCard takes at most " + MAX_VCARD_CHARS / 1024 + " KiB (avatars too)");
        }
        String hash = photoHash(card);
        vcard = card.elements().findAny().isPresent() ? card : null;
        if (!hash.equals(avatarHash)) {
            avatarHash = hash;
            for (Occupant v : List.copyOf(occupants.values())) {
                for (Jid s : v.sessions) send(avatarPresence(s));
            }
        }
        host.changed(this);
        return iq.result(null);
    }

    private Element avatarPresence(Jid to) {
        return Element.builder("presence", CLIENT).attribute("from", jid.toString()).attribute("to", to.toString())
                .child(Element.builder("x", VCARD_UPDATE).child(Element.builder("photo", VCARD_UPDATE).text(avatarHash).build()).build()).build();
    }

    /** XEP-0153: the SHA-1 of the photo's bytes, "" when the card has none. */
    static String photoHash(Element card) throws StanzaException {
        Optional<String> binval = card.child("PHOTO", VCARD).flatMap(p -> p.child("BINVAL", VCARD)).map(b -> b.text().replaceAll("\\s", ""));
        if (binval.isEmpty() || binval.get().isEmpty()) return "";
        try {
            byte[] bytes = Base64.getDecoder().decode(binval.get());
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(bytes));
        } catch (IllegalArgumentException e) {
            throw new StanzaException(StanzaError.BAD_REQUEST, "The vCard's PHOTO/BINVAL is not base64");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    // --- registration (§7.10–7.12) -------------------------------------------------------------------

    private Element registration(Jid from) {
        String nick = registered.get(from.bare());
        if (nick != null) {
            return Element.builder("query", REGISTER).child(Element.of("registered", REGISTER))
                    .child(Element.builder("username", REGISTER).text(nick).build()).build();
        }
        Element form = DataForm.form("form", REGISTER_FORM, "Registration with " + name())
                .child(Element.builder("instructions", DataForm.NS).text("Register a nickname: it becomes yours in this room, and you a member.").build())
                .child(DataForm.field("muc#register_roomnick", "text-single", "Nickname", true, List.of())).build();
        return Element.builder("query", REGISTER).child(Element.builder("instructions", REGISTER).text("Fill in the form to register with the room").build())
                .child(form).build();
    }

    /**
     * §7.10: registering makes the user a member with a nickname of its own; {@code <remove/>}
     * undoes both. In a members-only room only its members may register (others ask an admin).
     */
    private Element register(Iq iq, Jid from) throws StanzaException {
        Jid user = from.bare();
        Affiliation aff = affiliation(from);
        Element q = iq.payload();
        if (q.child("remove", REGISTER).isPresent()) {
            if (registered.remove(user) == null) throw new StanzaException(StanzaError.ITEM_NOT_FOUND, user + " is not registered with " + jid);
            if (aff == Affiliation.MEMBER) applyAffiliation(user, Affiliation.NONE, null, "registration cancelled");
            host.changed(this);
            return iq.result(null);
        }
        if (aff == Affiliation.OUTCAST) throw new StanzaException(StanzaError.FORBIDDEN, "You are banned from " + jid);
        if (config.membersOnly && !aff.atLeast(Affiliation.MEMBER)) {
            throw new StanzaException(StanzaError.NOT_ALLOWED, jid + " is for members only: ask one of its admins to make you a member");
        }
        Optional<Element> form = q.child("x", DataForm.NS);
        String nick = form.isPresent() ? DataForm.value(form.get(), "muc#register_roomnick").orElse(null) : q.child("username", REGISTER).map(Element::text).orElse(null);
        if (form.isPresent() && "cancel".equals(form.get().attribute("type"))) return iq.result(null);
        if (nick == null || nick.isBlank()) throw new StanzaException(StanzaError.BAD_REQUEST, "Registration needs a nickname (muc#register_roomnick)");
        nick = nick.strip();
        if (Jid.tryParse(jid + "/" + nick).isEmpty()) throw new StanzaException(StanzaError.JID_MALFORMED, "'" + nick + "' cannot be a nickname");
        reservedCheck(nick, from);
        Occupant holder = occupants.get(nick);
        if (holder != null && !holder.user.equals(user)) throw new StanzaException(StanzaError.CONFLICT, "The nickname '" + nick + "' is in use in " + jid);
        registered.put(user, nick);
        if (aff == Affiliation.NONE) applyAffiliation(user, Affiliation.MEMBER, null, "registered");
        host.changed(this);
        return iq.result(null);
    }

    /** §7.12: the nickname the asker registered, as the name of an identity; none when it has not. */
    private Element roomUserItem(Jid asker) {
        Element.Builder q = Element.builder("query", DISCO_INFO).attribute("node", ROOMUSER_NODE);
        String nick = registered.get(asker.bare());
        if (nick != null) q.child(Element.builder("identity", DISCO_INFO).attribute("category", "conference").attribute("type", "text").attribute("name", nick).build());
        return q.build();
    }

    private Element ownerGet(Jid from) throws StanzaException {
        if (affiliation(from) != Affiliation.OWNER) throw new StanzaException(StanzaError.FORBIDDEN, "Only owners may configure " + jid);
        List<String> owners = new ArrayList<>();
        List<String> admins = new ArrayList<>();
        affiliations.forEach((u, a) -> {
            if (a == Affiliation.OWNER) owners.add(u.toString());
            if (a == Affiliation.ADMIN) admins.add(u.toString());
        });
        return Element.builder("query", OWNER).child(config.form(owners, admins, host.maxUsers(), host.maxHistory())).build();
    }

    /** §10.1.2–10.2 configuration (submit or cancel) and §10.9 destruction. */
    private Element ownerSet(Iq iq, Jid from) throws StanzaException {
        if (affiliation(from) != Affiliation.OWNER) throw new StanzaException(StanzaError.FORBIDDEN, "Only owners may configure or destroy " + jid);
        Optional<Element> destroy = iq.payload().child("destroy", OWNER);
        if (destroy.isPresent()) {
            destroy(destroy.get().attribute("jid"), destroy.get().child("reason", OWNER).map(Element::text).orElse(null),
                    destroy.get().child("password", OWNER).map(Element::text).orElse(null));
            return iq.result(null);
        }
        Element form = iq.payload().child("x", DataForm.NS)
                .orElseThrow(() -> new StanzaException(StanzaError.BAD_REQUEST, "A muc#owner set carries a configuration form (jabber:x:data) or <destroy/>"));
        if ("cancel".equals(form.attribute("type"))) {
            if (locked) { // §10.1.3: cancelling a new room's first configuration destroys it
                destroy(null, "The owner cancelled the room's creation", null);
            }
            return iq.result(null);
        }
        if (!"submit".equals(form.attribute("type"))) throw new StanzaException(StanzaError.BAD_REQUEST, "The configuration form must be of type submit or cancel");
        RoomConfig next = config.copy();
        next.apply(form, host.maxUsers(), host.maxHistory());
        List<String> owners = RoomConfig.jids(form, RoomConfig.OWNERS);
        List<String> admins = RoomConfig.jids(form, RoomConfig.ADMINS);
        Map<Jid, Affiliation> after = new LinkedHashMap<>(affiliations);
        if (owners != null) setList(after, owners, Affiliation.OWNER);
        if (admins != null) setList(after, admins, Affiliation.ADMIN);
        if (!after.containsValue(Affiliation.OWNER)) throw new StanzaException(StanzaError.CONFLICT, jid + " must keep at least one owner");
        RoomConfig before = config;
        config = next;
        boolean wasLocked = locked;
        locked = false;
        while (history.size() > config.historyLength) history.removeFirst();
        for (Map.Entry<Jid, Affiliation> e : after.entrySet()) {
            if (affiliations.get(e.getKey()) != e.getValue()) applyAffiliation(e.getKey(), e.getValue(), null, null);
        }
        for (Jid u : List.copyOf(affiliations.keySet())) if (!after.containsKey(u)) applyAffiliation(u, Affiliation.NONE, null, null);
        if (config.membersOnly && !before.membersOnly) { // §9.? members-only now: the others leave with 322
            for (Occupant o : List.copyOf(occupants.values())) {
                if (!affiliation(o.user).atLeast(Affiliation.MEMBER)) remove(o, List.of(322), null, "The room is now for members only");
            }
        }
        if (!wasLocked) { // §10.2.1: tell the occupants what changed
            List<Integer> codes = new ArrayList<>(List.of(104));
            if (config.nonAnonymous() && !before.nonAnonymous()) codes.add(172);
            if (!config.nonAnonymous() && before.nonAnonymous()) codes.add(173);
            Element.Builder x = Element.builder("x", USER);
            for (int c : codes) x.child(Element.builder("status", USER).attribute("code", Integer.toString(c)).build());
            Element note = x.build();
            for (Occupant v : List.copyOf(occupants.values())) {
                for (Jid s : v.sessions) send(Element.builder("message", CLIENT).attribute("type", "groupchat").attribute("from", jid.toString())
                        .attribute("to", s.toString()).child(note).build());
            }
        }
        host.changed(this);
        return iq.result(null);
    }

    private static void setList(Map<Jid, Affiliation> after, List<String> jids, Affiliation aff) throws StanzaException {
        List<Jid> listed = new ArrayList<>();
        for (String j : jids) {
            try {
                listed.add(Jid.of(j).bare());
            } catch (InvalidJidException e) {
                throw new StanzaException(StanzaError.JID_MALFORMED, "'" + j + "' is not a JID: " + e.getMessage());
            }
        }
        after.entrySet().removeIf(e -> e.getValue() == aff && !listed.contains(e.getKey()));
        for (Jid j : listed) after.put(j, aff);
    }

    /** §10.9: every occupant leaves with the {@code <destroy/>} (an alternate venue, a reason); the room is gone. */
    synchronized void destroy(String alternate, String reason, String password) {
        Element.Builder d = Element.builder("destroy", USER);
        if (alternate != null) d.attribute("jid", alternate);
        if (reason != null) d.child(Element.builder("reason", USER).text(reason).build());
        if (password != null) d.child(Element.builder("password", USER).text(password).build());
        Element destroyed = d.build();
        for (Occupant o : List.copyOf(occupants.values())) {
            for (Jid s : o.sessions) {
                Element.Builder x = Element.builder("x", USER).child(Element.builder("item", USER).attribute("affiliation", "none").attribute("role", "none").build())
                        .child(Element.builder("status", USER).attribute("code", "110").build()).child(destroyed);
                send(Element.builder("presence", CLIENT).attribute("from", jid + "/" + o.nick).attribute("to", s.toString()).attribute("type", "unavailable")
                        .child(x.build()).build());
            }
        }
        occupants.clear();
        bySession.clear();
        host.gone(this);
    }

    /** Every occupant leaves with 332 (the service is going away, not the room). */
    synchronized void shutdown() {
        for (Occupant o : List.copyOf(occupants.values())) remove(o, List.of(332), null, "The chat service is shutting down");
    }

    /**
     * An IQ to an occupant (§7.5 and XEP-0410): a ping to one's own nickname is answered by the room
     * (you are in); others are passed to the occupant with an id that carries the way back, and its
     * answer is passed back the same way. Only occupants may reach occupants.
     */
    private void iqToOccupant(Element stanza, Jid from, String nick) throws StanzaException {
        String type = stanza.attribute("type");
        Occupant sender = bySession.get(from);
        String id = stanza.attribute("id");
        if ("result".equals(type) || "error".equals(type)) {
            if (sender == null || id == null || !id.startsWith(FORWARDED)) return;
            String[] back = new String(Base64.getUrlDecoder().decode(id.substring(FORWARDED.length())), StandardCharsets.UTF_8).split("\n", 2);
            if (back.length != 2) return;
            Jid requester = Jid.tryParse(back[0]).orElse(null);
            if (requester == null || !bySession.containsKey(requester)) return;
            send(stanza.toBuilder().attribute("from", jid + "/" + sender.nick).attribute("to", requester.toString()).attribute("id", back[1]).build());
            return;
        }
        if (sender == null) {
            boolean disco = stanza.firstChild().filter(c -> c.namespace().equals(DISCO_INFO) || c.namespace().equals(DISCO_ITEMS)).isPresent();
            // §6.6: disco of an occupant by a non-occupant is a bad request; XEP-0410: anything else says "not in the room"
            throw new StanzaException(disco ? StanzaError.BAD_REQUEST : StanzaError.NOT_ACCEPTABLE, "You are not an occupant of " + jid);
        }
        Occupant target = occupants.get(nick);
        if (target == null) throw new StanzaException(StanzaError.ITEM_NOT_FOUND, "No occupant of " + jid + " is named '" + nick + "'");
        if (target == sender && stanza.firstChild().filter(c -> c.is("ping", PING)).isPresent()) {
            send(Iq.of(stanza, from, jid.withResource(nick)).result(null));
            return;
        }
        String way = Base64.getUrlEncoder().withoutPadding().encodeToString((from + "\n" + (id == null ? "" : id)).getBytes(StandardCharsets.UTF_8));
        send(stanza.toBuilder().attribute("from", jid + "/" + sender.nick).attribute("to", target.first().toString()).attribute("id", FORWARDED + way).build());
    }

    private void send(Element stanza) {
        host.send(stanza, origin);
    }

    // --- storage -----------------------------------------------------------------------------------

    /**
     * The room as stored: configuration, affiliations, subject, lock and salt; with {@code live},
     * also its occupants and history (handed from one revision of the module to the next when it
     * is reloaded).
     */
    synchronized Element toElement(boolean live) {
        Element.Builder b = Element.builder("room", STORED_NS).attribute("jid", jid.toString()).attribute("salt", salt)
                .attribute("created", created.toString()).attribute("locked", Boolean.toString(locked));
        b.child(config.stored());
        affiliations.forEach((u, a) -> b.child(Element.builder("affiliation", STORED_NS).attribute("jid", u.toString()).attribute("value", a.value()).build()));
        if (subject != null) b.child(Element.builder("subject", STORED_NS).child(subject).build());
        if (vcard != null) b.child(Element.builder("vcard", STORED_NS).child(vcard).build());
        registered.forEach((u, n) -> b.child(Element.builder("registered", STORED_NS).attribute("jid", u.toString()).attribute("nick", n).build()));
        if (live) {
            for (Occupant o : occupants.values()) {
                Element.Builder ob = Element.builder("occupant", STORED_NS).attribute("nick", o.nick).attribute("user", o.user.toString()).attribute("role", o.role.value());
                for (Jid s : o.sessions) ob.child(Element.builder("session", STORED_NS).attribute("jid", s.toString()).build());
                if (o.presence != null) ob.child(o.presence);
                b.child(ob.build());
            }
            for (Said s : history) b.child(Element.builder("said", STORED_NS).attribute("at", s.at().toString()).child(s.message()).build());
        }
        return b.build();
    }

    /** A room read back; occupants whose sessions {@code stillThere} denies are left out (they left while nobody listened). */
    static Room fromElement(Element e, Host host, int maxUsers, int historyLength, java.util.function.Predicate<Jid> stillThere) throws StanzaException {
        RoomConfig config = new RoomConfig(maxUsers, historyLength);
        Optional<Element> form = e.child("x", DataForm.NS);
        if (form.isPresent()) config.apply(form.get(), Integer.MAX_VALUE, Integer.MAX_VALUE);
        Room r = new Room(Jid.of(e.attribute("jid")), host, config, e.attribute("salt"), Instant.parse(e.attribute("created")));
        r.locked = Boolean.parseBoolean(e.attribute("locked"));
        e.child("vcard", STORED_NS).flatMap(Element::firstChild).ifPresent(v -> {
            r.vcard = v;
            try {
                r.avatarHash = photoHash(v);
            } catch (StanzaException ex) {
                r.avatarHash = "";
            }
        });
        for (Element reg : e.elements().filter(c -> c.is("registered", STORED_NS)).toList()) {
            Jid.tryParse(reg.attribute("jid")).ifPresent(j -> r.registered.put(j, reg.attribute("nick")));
        }
        for (Element a : e.elements().filter(c -> c.is("affiliation", STORED_NS)).toList()) {
            Affiliation.of(a.attribute("value")).ifPresent(v -> Jid.tryParse(a.attribute("jid")).ifPresent(j -> r.affiliations.put(j, v)));
        }
        e.child("subject", STORED_NS).flatMap(Element::firstChild).ifPresent(s -> r.subject = s);
        for (Element o : e.elements().filter(c -> c.is("occupant", STORED_NS)).toList()) {
            Occupant occ = new Occupant(o.attribute("nick"), Jid.of(o.attribute("user")), Role.of(o.attribute("role")).orElse(Role.PARTICIPANT),
                    o.child("presence", CLIENT).orElse(null));
            for (Element s : o.elements().filter(c -> c.is("session", STORED_NS)).toList()) {
                Jid sj = Jid.of(s.attribute("jid"));
                if (stillThere.test(sj)) occ.sessions.add(sj);
            }
            if (occ.sessions.isEmpty()) continue;
            r.occupants.put(occ.nick, occ);
            for (Jid s : occ.sessions) r.bySession.put(s, occ);
        }
        for (Element s : e.elements().filter(c -> c.is("said", STORED_NS)).toList()) {
            s.firstChild().ifPresent(m -> r.history.addLast(new Said(m, Instant.parse(s.attribute("at")), m.toXml().length())));
        }
        return r;
    }

    /** For tests: the sessions in the room. */
    synchronized List<Jid> sessions() {
        return List.copyOf(bySession.keySet());
    }
}
