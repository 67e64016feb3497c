package dev.strata.roster;

import java.util.ArrayList;
import java.util.HashSet;
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
import dev.strata.api.module.IqHandler;
import dev.strata.api.module.IqRoute;
import dev.strata.api.stanza.Iq;
import dev.strata.api.stanza.Session;
import dev.strata.api.stanza.SessionRegistry;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.storage.KeyValueStore;
import dev.strata.api.stream.Negotiation;
import dev.strata.api.stream.StreamFeature;
import dev.strata.api.xml.Element;

/**
 * RFC 6121 §2 roster management: get (with roster versioning, §2.6), set and remove, each
 * change pushed to every interested resource (those that asked for the roster). Items keep the
 * subscription state that presence handling sets; a client cannot set it (§2.1.2.5).
 */
@IqRoute(namespace = Roster.NS)
@Component(name = "strata.roster", service = {IqHandler.class, StreamFeature.class}, property = StreamFeature.NAMESPACE + "=" + Roster.VER)
@Designate(ocd = Roster.Config.class)
public final class Roster implements IqHandler, StreamFeature {
    static final String NS = "jabber:iq:roster";
    static final String VER = "urn:xmpp:features:rosterver";
    static final String INTERESTED = "strata.roster.interested";
    private static final String ITEMS = "roster";
    private static final String META = "roster-meta";

    @ObjectClassDefinition(id = "strata.roster", name = "RFC 6121 roster")
    @interface Config {
        @AttributeDefinition(min = "1", description = "Most contacts in one roster (not-allowed beyond)")
        int max_items() default 2000;

        @AttributeDefinition(min = "1", max = "1023", description = "Longest item name and group name, in characters")
        int max_name_length() default 1023;
    }

    private final KeyValueStore store;
    private final Map<Jid, Object> locks = new ConcurrentHashMap<>();
    private final AtomicLong pushIds = new AtomicLong();
    private volatile Config config;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile SessionRegistry sessions;

    @Activate
    public Roster(Config config, @Reference KeyValueStore store) {
        this.config = config;
        this.store = store;
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

    @Override
    public Element handle(Iq iq, Session from) throws StanzaException {
        Jid user = from.jid().bare();
        if (!iq.to().equals(user) && !iq.to().isDomain()) {
            throw new StanzaException(StanzaError.FORBIDDEN, "A roster belongs to its own account (RFC 6121 §2.1.5)");
        }
        synchronized (locks.computeIfAbsent(user, k -> new Object())) {
            return iq.type() == Iq.Type.GET ? get(iq, from, user) : set(iq, user);
        }
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

    /** §2.3 and §2.5: one item added, updated or removed, then pushed. */
    private Element set(Iq iq, Jid user) throws StanzaException {
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
        String key = contact.toString();
        Element pushed;
        if ("remove".equals(item.attribute("subscription"))) {
            if (!store.delete(user, ITEMS, key)) throw new StanzaException(StanzaError.ITEM_NOT_FOUND, "No such contact in the roster (RFC 6121 §2.5.3)");
            pushed = Element.builder("item", NS).attribute("jid", key).attribute("subscription", "remove").build();
        } else {
            pushed = update(user, contact, item);
        }
        push(user, pushed, bump(user));
        return null;
    }

    private Element update(Jid user, Jid contact, Element item) throws StanzaException {
        Config c = config;
        String name = item.attribute("name");
        if (name != null && name.length() > c.max_name_length()) throw new StanzaException(StanzaError.NOT_ACCEPTABLE, "The name is too long");
        Set<String> groups = new HashSet<>();
        List<Element> groupElements = new ArrayList<>();
        for (Element g : item.elements().filter(e -> e.is("group", NS)).toList()) {
            String group = g.text();
            if (group.isEmpty()) throw new StanzaException(StanzaError.NOT_ACCEPTABLE, "A group name must not be empty (RFC 6121 §2.3.3)");
            if (group.length() > c.max_name_length()) throw new StanzaException(StanzaError.NOT_ACCEPTABLE, "A group name is too long");
            if (!groups.add(group)) throw new StanzaException(StanzaError.BAD_REQUEST, "The group '" + group + "' is listed twice (RFC 6121 §2.3.3)");
            groupElements.add(Element.builder("group", NS).text(group).build());
        }
        var existing = store.get(user, ITEMS, contact.toString());
        if (existing.isEmpty() && store.keys(user, ITEMS).size() >= c.max_items()) {
            throw new StanzaException(StanzaError.NOT_ALLOWED, "The roster is full (" + c.max_items() + " contacts)");
        }
        Element.Builder stored = Element.builder("item", NS).attribute("jid", contact.toString())
                .attribute("subscription", existing.map(e -> e.attribute("subscription")).orElse("none"));
        existing.map(e -> e.attribute("ask")).ifPresent(ask -> stored.attribute("ask", ask));
        if (name != null) stored.attribute("name", name);
        Element result = stored.children(groupElements).build();
        store.put(user, ITEMS, contact.toString(), result);
        return result;
    }

    private String bump(Jid user) {
        String next = Long.toString(Long.parseLong(version(user)) + 1);
        store.put(user, META, "version", Element.builder("version", NS).attribute("n", next).build());
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
