package dev.strata.roster;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;

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
import dev.strata.api.module.IqHandler;
import dev.strata.api.module.IqRoute;
import dev.strata.api.roster.RosterFullException;
import dev.strata.api.roster.RosterItem;
import dev.strata.api.roster.RosterItem.Subscription;
import dev.strata.api.roster.Rosters;
import dev.strata.api.stanza.Iq;
import dev.strata.api.stanza.Origin;
import dev.strata.api.stanza.Router;
import dev.strata.api.stanza.Session;
import dev.strata.api.stanza.SessionRegistry;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.storage.KeyValueStore;
import dev.strata.api.stream.Feature;
import dev.strata.api.stream.Negotiation;
import dev.strata.api.stream.StreamFeature;
import dev.strata.api.xml.Element;

/**
 * RFC 6121 §2 roster management: get (with roster versioning, §2.6), set and remove, each
 * change pushed to every interested resource (those that asked for the roster). Items keep the
 * subscription state that the presence module sets through {@link Rosters}; a client cannot set
 * it (§2.1.2.5). Removing a contact cancels the subscriptions both ways (§2.5.2).
 */
@IqRoute(namespace = Roster.NS, target = IqRoute.To.SELF)
@Feature(namespace = Roster.VER)
@Component(name = "strata.roster", service = {IqHandler.class, StreamFeature.class, Rosters.class})
@Designate(ocd = Roster.Config.class)
public final class Roster implements IqHandler, StreamFeature, Rosters {
    static final String NS = "jabber:iq:roster";
    static final String VER = "urn:xmpp:features:rosterver";
    static final String INTERESTED = "strata.roster.interested";
    private static final String ITEMS = "roster";
    private static final String META = "roster-meta";

    @ObjectClassDefinition(id = "strata.roster", name = "RFC 6121 roster")
    public @interface Config {
        @AttributeDefinition(min = "1", description = "Most contacts in one roster (not-allowed beyond)")
        int max_items() default 2000;

        @AttributeDefinition(min = "1", max = "1023", description = "Longest item name and group name, in characters")
        int max_name_length() default 1023;
    }

    private final KeyValueStore store;
    private final Map<Jid, Object> locks = new ConcurrentHashMap<>();
    /** Rosters read lately, parsed (see {@link RosterCache}). */
    private final RosterCache cache;
    private final AtomicLong pushIds = new AtomicLong();
    private volatile Config config;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile SessionRegistry sessions;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile Router router;

    @Activate
    public Roster(Config config, @Reference KeyValueStore store, @Reference RosterCache cache) {
        this.config = config;
        this.store = store;
        this.cache = cache;
    }

    @Modified
    void modified(Config c) {
        config = c;
    }

    @Override
    public Element offer(Stage stage, Negotiation negotiation) {
        return stage == Stage.AFTER_AUTH ? Element.of("ver", VER) : null;
    }

    @Override
    public void negotiate(Element element, Negotiation negotiation) {
        negotiation.send(Element.of("failure", VER)); // roster versioning has nothing to negotiate
    }

    // --- Rosters -----------------------------------------------------------------------------

    @Override
    public Optional<RosterItem> item(Jid user, Jid contact) {
        Jid c = contact.bare();
        for (RosterItem i : items(user)) if (i.jid().equals(c)) return Optional.of(i);
        return Optional.empty();
    }

    /** The whole roster, from the cache (no storage read) unless it changed since it was last read. */
    @Override
    public List<RosterItem> items(Jid user) {
        Jid u = user.bare();
        List<RosterItem> cached = cache.get(u);
        if (cached != null) return cached;
        long readAt = cache.epoch();
        List<RosterItem> items = store.getAll(u, ITEMS).values().stream().map(Roster::toItem).toList();
        cache.put(u, readAt, items);
        return items;
    }

    @Override
    public Optional<RosterItem> update(Jid user, Jid contact, UnaryOperator<RosterItem> change) {
        Jid u = user.bare();
        synchronized (lock(u)) {
            RosterItem before = item(u, contact).orElse(null);
            RosterItem after = change.apply(before);
            if (after == null || after.equals(before)) return Optional.ofNullable(before);
            if (before == null && full(u)) throw new RosterFullException(u, config.max_items()); // every path that adds an item
            Element e = toElement(after);
            store.put(u, ITEMS, after.jid().toString(), e);
            push(u, e, bump(u));
            return Optional.of(after);
        }
    }

    @Override
    public Optional<RosterItem> remove(Jid user, Jid contact) {
        Jid u = user.bare();
        String key = contact.bare().toString();
        synchronized (lock(u)) {
            Optional<Element> existing = store.get(u, ITEMS, key);
            if (existing.isEmpty() || !store.delete(u, ITEMS, key)) return Optional.empty();
            push(u, Element.builder("item", NS).attribute("jid", key).attribute("subscription", "remove").build(), bump(u));
            return existing.map(Roster::toItem);
        }
    }

    /** Whether the roster holds max.items already (counted, not read). */
    private boolean full(Jid user) {
        return store.usage(user, ITEMS).documents() >= config.max_items();
    }

    private Object lock(Jid user) {
        return locks.computeIfAbsent(user, k -> new Object());
    }

    static RosterItem toItem(Element e) {
        List<String> groups = e.elements().filter(g -> g.name().equals("group")).map(Element::text).toList();
        return new RosterItem(Jid.of(e.attribute("jid")), e.attribute("name"), Subscription.of(e.attribute("subscription")),
                "subscribe".equals(e.attribute("ask")), "true".equals(e.attribute("approved")), groups);
    }

    static Element toElement(RosterItem item) {
        Element.Builder b = Element.builder("item", NS).attribute("jid", item.jid().toString()).attribute("subscription", item.subscription().value());
        if (item.name() != null) b.attribute("name", item.name());
        if (item.ask()) b.attribute("ask", "subscribe");
        if (item.approved()) b.attribute("approved", "true");
        for (String g : item.groups()) b.child(Element.builder("group", NS).text(g).build());
        return b.build();
    }

    // --- the roster IQ ------------------------------------------------------------------------

    @Override
    public Element handle(Iq iq, Origin origin) throws StanzaException {
        Session from = Session.of(origin);
        Jid user = from.jid().bare();
        if (iq.type() == Iq.Type.GET) return get(iq, from, user);
        RosterItem removed;
        synchronized (lock(user)) {
            removed = set(iq, user);
        }
        if (removed != null) cancelSubscriptions(user, removed, from);
        return null;
    }

    private String version(Jid user) {
        return store.get(user, META, "version").map(e -> e.attribute("n")).orElse("0");
    }

    /** §2.2 and §2.6.3: the whole roster, or an empty result when the client's version is current. */
    private Element get(Iq iq, Session from, Jid user) {
        from.attribute(INTERESTED, Boolean.TRUE);
        String current = version(user);
        String ver = iq.payload().attribute("ver");
        if (ver != null && ver.equals(current)) return null;
        Element.Builder q = Element.builder("query", NS).attribute("ver", current);
        store.getAll(user, ITEMS).values().forEach(q::child);
        return q.build();
    }

    /** §2.3 and §2.5: one item added, updated or removed, then pushed. Returns the removed item. */
    private RosterItem set(Iq iq, Jid user) throws StanzaException {
        List<Element> items = iq.payload().elements().filter(e -> e.is("item", NS)).toList();
        if (items.size() != 1) throw new StanzaException(StanzaError.BAD_REQUEST, "A roster set carries exactly one item (RFC 6121 §2.3.3)");
        Element item = items.getFirst();
        String jidText = item.attribute("jid");
        if (jidText == null) throw new StanzaException(StanzaError.BAD_REQUEST, "The item has no 'jid'");
        Jid contact;
        try {
            contact = Jid.of(jidText).bare();
        } catch (InvalidJidException e) {
            throw new StanzaException(StanzaError.JID_MALFORMED, e.getMessage());
        }
        if ("remove".equals(item.attribute("subscription"))) {
            return remove(user, contact).orElseThrow(() -> new StanzaException(StanzaError.ITEM_NOT_FOUND, "No such contact in the roster (RFC 6121 §2.5.3)"));
        }
        Element pushed = update(user, contact, item);
        push(user, pushed, bump(user));
        return null;
    }

    /** §2.5.2: removing a contact unsubscribes from its presence and cancels its subscription. */
    private void cancelSubscriptions(Jid user, RosterItem removed, Session from) {
        Router r = router;
        if (r == null) return;
        boolean pendingIn = store.get(user, PENDING_STORE, removed.jid().toString()).isPresent();
        if (removed.subscription().to() || removed.ask()) r.route(presence(from, removed.jid(), "unsubscribe"), from);
        if (removed.subscription().from() || pendingIn) r.route(presence(from, removed.jid(), "unsubscribed"), from);
    }

    private static Element presence(Session from, Jid to, String type) {
        return Element.builder("presence", Iq.CLIENT_NS).attribute("from", from.jid().toString()).attribute("to", to.toString()).attribute("type", type).build();
    }

    private Element update(Jid user, Jid contact, Element item) throws StanzaException {
        Config c = config;
        String name = item.attribute("name");
        if (name != null && name.length() > c.max_name_length()) throw new StanzaException(StanzaError.NOT_ACCEPTABLE, "The name is too long");
        Set<String> groups = new HashSet<>();
        List<String> groupNames = new ArrayList<>();
        for (Element g : item.elements().filter(e -> e.is("group", NS)).toList()) {
            String group = g.text();
            if (group.isEmpty()) throw new StanzaException(StanzaError.NOT_ACCEPTABLE, "A group name must not be empty (RFC 6121 §2.3.3)");
            if (group.length() > c.max_name_length()) throw new StanzaException(StanzaError.NOT_ACCEPTABLE, "A group name is too long");
            if (!groups.add(group)) throw new StanzaException(StanzaError.BAD_REQUEST, "The group '" + group + "' is listed twice (RFC 6121 §2.3.3)");
            groupNames.add(group);
        }
        Optional<RosterItem> existing = item(user, contact);
        if (existing.isEmpty() && full(user)) {
            throw new StanzaException(StanzaError.NOT_ALLOWED, "The roster is full (" + c.max_items() + " contacts)");
        }
        RosterItem state = existing.orElse(RosterItem.of(contact));
        Element result = toElement(new RosterItem(contact, name, state.subscription(), state.ask(), state.approved(), groupNames));
        store.put(user, ITEMS, contact.toString(), result);
        return result;
    }

    /** After a change is written: the next version, and the cached roster dropped (the store now holds the change). */
    private String bump(Jid user) {
        String next = Long.toString(Long.parseLong(version(user)) + 1);
        store.put(user, META, "version", Element.builder("version", NS).attribute("n", next).build());
        cache.drop(user);
        return next;
    }

    /** §2.1.6: a roster push to each interested resource of the account. */
    private void push(Jid user, Element item, String ver) {
        SessionRegistry registry = sessions;
        if (registry == null) return;
        for (Session s : registry.sessions(user)) {
            if (s.attribute(INTERESTED) == null) continue;
            s.send(Element.builder("iq", Iq.CLIENT_NS).attribute("type", "set").attribute("id", "push" + pushIds.incrementAndGet())
                    .attribute("to", s.jid().toString())
                    .child(Element.builder("query", NS).attribute("ver", ver).child(item).build()).build());
        }
    }
}
