package dev.strata.xep0191;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import dev.strata.api.InvalidJidException;
import dev.strata.api.Jid;
import dev.strata.api.module.DiscoFeature;
import dev.strata.api.module.Hook;
import dev.strata.api.module.IqHandler;
import dev.strata.api.module.IqRoute;
import dev.strata.api.module.StanzaHook;
import dev.strata.api.roster.Rosters;
import dev.strata.api.server.ServerInfo;
import dev.strata.api.stanza.Iq;
import dev.strata.api.stanza.Origin;
import dev.strata.api.stanza.Presence;
import dev.strata.api.stanza.Router;
import dev.strata.api.stanza.Session;
import dev.strata.api.stanza.SessionRegistry;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.storage.KeyValueStore;
import dev.strata.api.xml.Element;

/**
 * XEP-0191 1.3 blocking command: the blocklist (get, block, unblock one or all) stored per
 * account and pushed to every resource that asked for it. A blocked address (full JID, bare JID,
 * domain or domain/resource, matched as XEP-0016 does) cannot reach the user: its presence is
 * dropped, its messages and IQ requests answered {@code service-unavailable}; the user's own
 * stanzas to it are refused with {@code not-acceptable} and {@code <blocked/>}, and the user's
 * presence no longer reaches it (unavailable is sent at blocking, current presence at unblocking),
 * and the user gets unavailable presence from the contact's available resources at blocking.
 * A blocklist holds at most {@code max.items} entries, and a stanza is checked against it with a
 * few set lookups (the address, its bare JID, its domain), not a scan.
 */
@IqRoute(namespace = Blocking.NS, target = IqRoute.To.SELF)
@DiscoFeature(feature = Blocking.NS)
@Hook({StanzaHook.INBOUND, StanzaHook.REMOTE})
@Component(name = "strata.xep0191", service = {IqHandler.class, StanzaHook.class})
@Designate(ocd = Blocking.Config.class)
public final class Blocking implements IqHandler, StanzaHook {
    @ObjectClassDefinition(id = "strata.xep0191", name = "XEP-0191 blocking command")
    @interface Config {
        @AttributeDefinition(min = "1", description = "Most entries in one account's blocklist; a block beyond it is refused with not-allowed")
        int max_items() default 10_000;
    }

    static final String NS = "urn:xmpp:blocking";
    static final String ERRORS = "urn:xmpp:blocking:errors";
    static final String INTERESTED = "strata.blocking.interested";
    private static final String STORE = "blocklist";
    private static final int CACHE_LIMIT = 100_000;

    private final KeyValueStore store;
    private final ServerInfo server;
    private final Map<Jid, Set<Jid>> cache = new ConcurrentHashMap<>();
    private volatile Config config;
    private final AtomicLong pushIds = new AtomicLong();
    /** Counts blocklist changes, so a list read while one was written is not kept (see {@link #blocklist}). */
    private final AtomicLong changes = new AtomicLong();

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile Router router;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile SessionRegistry sessions;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile Rosters rosters;

    @Activate
    public Blocking(Config config, @Reference KeyValueStore store, @Reference ServerInfo server) {
        this.config = config;
        this.store = store;
        this.server = server;
    }

    @Modified
    void modified(Config c) {
        config = c;
    }

    // --- the blocklist IQs ----------------------------------------------------------------------

    @Override
    public Element handle(Iq iq, Origin origin) throws StanzaException {
        Session from = Session.of(origin);
        Jid user = from.jid().bare();
        Element p = iq.payload();
        if (iq.type() == Iq.Type.GET) {
            if (!p.name().equals("blocklist")) throw new StanzaException(StanzaError.BAD_REQUEST, "Expected <blocklist xmlns='" + NS + "'/>");
            from.attribute(INTERESTED, Boolean.TRUE);
            Element.Builder list = Element.builder("blocklist", NS);
            for (Jid j : blocklist(user)) list.child(item(j));
            return list.build();
        }
        List<Jid> jids = new ArrayList<>();
        for (Element item : p.elements().filter(e -> e.is("item", NS)).toList()) {
            try {
                jids.add(Jid.of(item.attribute("jid") == null ? "" : item.attribute("jid")));
            } catch (InvalidJidException e) {
                throw new StanzaException(StanzaError.JID_MALFORMED, "Not a valid JID: '" + item.attribute("jid") + "'");
            }
        }
        switch (p.name()) {
            case "block" -> {
                if (jids.isEmpty()) throw new StanzaException(StanzaError.BAD_REQUEST, "<block/> needs at least one <item/> (XEP-0191 §3.3)");
                block(user, jids);
            }
            case "unblock" -> unblock(user, jids);
            default -> throw new StanzaException(StanzaError.BAD_REQUEST, "Expected <block/> or <unblock/> in " + NS);
        }
        return null;
    }

    private static Element item(Jid j) {
        return Element.builder("item", NS).attribute("jid", j.toString()).build();
    }

    /** The blocklist in stored order, as a set to look addresses up in. */
    Set<Jid> blocklist(Jid user) {
        Set<Jid> cached = cache.get(user);
        if (cached != null) return cached;
        long before = changes.get();
        Set<Jid> read = new LinkedHashSet<>();
        for (String key : store.keys(user, STORE)) Jid.tryParse(key).ifPresent(read::add);
        Set<Jid> list = Collections.unmodifiableSet(read);
        if (cache.size() >= CACHE_LIMIT) cache.clear();
        cache.put(user, list);
        // A change that wrote the store while this list was read bumps the count before it drops
        // the cached entry: whichever of the two comes last, a stale list does not stay cached.
        if (changes.get() != before) cache.remove(user, list);
        return list;
    }

    private void forget(Jid user) {
        changes.incrementAndGet();
        cache.remove(user);
    }

    private void block(Jid user, List<Jid> jids) throws StanzaException {
        Set<Jid> current = blocklist(user);
        Set<Jid> added = new LinkedHashSet<>(jids);
        added.removeAll(current);
        int max = config.max_items();
        if (current.size() + added.size() > max) {
            throw new StanzaException(StanzaError.NOT_ALLOWED, "The blocklist is full (" + max + " entries)");
        }
        for (Jid j : added) { // §3.3: the contact stops seeing the user
            for (Session s : sessions(user)) {
                if (Presence.isAvailable(s)) deliver(Element.builder("presence", Iq.CLIENT_NS).attribute("type", "unavailable")
                        .attribute("from", s.jid().toString()).attribute("to", j.toString()).build(), s);
            }
        }
        for (Jid j : added) { // §3.3: and the user stops seeing the contact: its available resources go unavailable for the user
            if (j.local() == null) continue;
            for (Session theirs : sessions(j.bare())) {
                if (!Presence.isAvailable(theirs) || !(j.isBare() || theirs.jid().equals(j))) continue;
                for (Session mine : sessions(user)) {
                    if (Presence.isAvailable(mine)) mine.send(Element.builder("presence", Iq.CLIENT_NS).attribute("type", "unavailable")
                            .attribute("from", theirs.jid().toString()).attribute("to", mine.jid().toString()).build());
                }
            }
        }
        for (Jid j : added) store.put(user, STORE, j.toString(), item(j));
        forget(user);
        push(user, Element.builder("block", NS).children(jids.stream().map(Blocking::item).toList()).build());
    }

    private void unblock(Jid user, List<Jid> jids) {
        List<Jid> removed = new ArrayList<>();
        for (Jid j : jids.isEmpty() ? blocklist(user) : jids) if (store.delete(user, STORE, j.toString())) removed.add(j);
        forget(user);
        push(user, Element.builder("unblock", NS).children(jids.stream().map(Blocking::item).toList()).build());
        Rosters r = rosters;
        for (Jid j : removed) { // §3.4: subscribed contacts see the user again
            boolean subscribed = r != null && j.local() != null && r.item(user, j).map(i -> i.subscription().from()).orElse(false);
            if (!subscribed) continue;
            for (Session s : sessions(user)) {
                Presence.of(s).ifPresent(p -> deliver(p.toBuilder().attribute("to", j.toString()).build(), s)); // 'from' is s's full JID
            }
        }
    }

    private void deliver(Element stanza, Session from) {
        Router r = router;
        if (r != null) r.deliver(stanza, from);
    }

    /** §3.3, §3.4: a push of the change to every resource that retrieved the blocklist. */
    private List<Session> sessions(Jid user) {
        SessionRegistry r = sessions;
        return r == null ? List.of() : r.sessions(user);
    }

    private void push(Jid user, Element change) {
        for (Session s : sessions(user)) {
            if (s.attribute(INTERESTED) == null) continue;
            s.send(Element.builder("iq", Iq.CLIENT_NS).attribute("type", "set").attribute("id", "block" + pushIds.incrementAndGet())
                    .attribute("to", s.jid().toString()).child(change).build());
        }
    }

    // --- enforcement ----------------------------------------------------------------------------

    /**
     * XEP-0016 §2.1 matching as lookups: an item blocks {@code address} when it is the address
     * itself (a full JID, or domain/resource), its bare JID, or its domain.
     */
    boolean blocks(Jid user, Jid address) {
        Set<Jid> list = blocklist(user);
        if (list.isEmpty()) return false;
        return list.contains(address) || list.contains(address.bare()) || list.contains(address.domainJid());
    }

    /**
     * The inbound and remote hooks: every stanza to a local account passes it on delivery (from
     * another account here or from another server), and every stanza leaving for another server
     * before it goes, whether the client sent it or the server generated it on a client's behalf
     * (presence broadcasts, probe answers).
     */
    @Override
    public boolean handle(Element stanza, Origin session) {
        Jid from = Jid.tryParse(stanza.attribute("from")).orElse(null);
        Jid to = stanza.attribute("to") == null ? null : Jid.tryParse(stanza.attribute("to")).orElse(null);
        if (from == null || to == null || to.bare().equals(from.bare())) return false;
        String type = stanza.attribute("type");
        boolean request = !"error".equals(type) && !"result".equals(type);
        boolean presence = stanza.name().equals("presence");
        if (local(from) && blocks(from.bare(), to)) { // §3.5: the sender blocked the recipient
            if (request && !presence) session.send(blockedError(stanza));
            return true;
        }
        if (local(to) && blocks(to.bare(), from)) { // §3.4: the recipient blocked the sender
            if (request && !presence) session.send(StanzaError.SERVICE_UNAVAILABLE.replyTo(stanza, null, false));
            return true;
        }
        return false;
    }

    private boolean local(Jid jid) {
        return jid.local() != null && server.hosts(jid.domain());
    }

    private static Element blockedError(Element stanza) {
        return StanzaError.NOT_ACCEPTABLE.replyTo(stanza, "You have blocked this address (XEP-0191)", false, Element.of("blocked", ERRORS));
    }
}
