package dev.strata.presence;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

import dev.strata.api.Jid;
import dev.strata.api.auth.AccountStore;
import dev.strata.api.module.Hook;
import dev.strata.api.module.StanzaHook;
import dev.strata.api.roster.RosterFullException;
import dev.strata.api.roster.RosterItem;
import dev.strata.api.roster.RosterItem.Subscription;
import dev.strata.api.roster.Rosters;
import dev.strata.api.server.ServerInfo;
import dev.strata.api.stanza.Origin;
import dev.strata.api.stanza.Presence;
import dev.strata.api.stanza.Router;
import dev.strata.api.stanza.Session;
import dev.strata.api.stanza.SessionRegistry;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.storage.KeyValueStore;
import dev.strata.api.stream.Feature;
import dev.strata.api.stream.Negotiation;
import dev.strata.api.stream.StreamFeature;
import dev.strata.api.xml.Element;

/**
 * RFC 6121 §3 and §4: presence subscriptions with every state and transition of Appendix A
 * (including pre-approval, §3.4, advertised as a stream feature), pending requests kept until
 * answered, initial presence with probes of the contacts, broadcast to subscribers and to the
 * account's own resources, directed presence (remembered so unavailable reaches it too), and
 * unavailable on logout or disconnect. Both ends of a subscription are local (no federation yet),
 * so each request updates the sender's roster (outbound) and the contact's (inbound) in turn.
 * A deleted account's subscriptions end in {@link DeletedAccountContacts}.
 */
@Hook(StanzaHook.PRESENCE)
@Feature(namespace = PresenceModule.PRE_APPROVAL)
@Component(service = {StanzaHook.class, StreamFeature.class})
public final class PresenceModule implements StanzaHook, StreamFeature {
    static final String PRE_APPROVAL = "urn:xmpp:features:pre-approval";
    static final String CLIENT = "jabber:client";
    /** Pending inbound subscription requests kept for one account (§3.1.3); more are refused with not-allowed. */
    static final int MAX_PENDING = 2000;
    /** Session attribute: the full JIDs this session sent directed available presence to (§4.6.2). */
    static final String DIRECTED = "strata.presence.directed";

    private final KeyValueStore store;
    private final AccountStore accounts;
    private final ServerInfo server;

    // The router calls this hook, the session registry offers its stream feature, and the roster
    // module reaches both: dynamic references let SCR break those service cycles at startup.
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile Rosters rosters;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile Router router;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile SessionRegistry sessions;

    @Activate
    public PresenceModule(@Reference KeyValueStore store, @Reference AccountStore accounts, @Reference ServerInfo server) {
        this.store = store;
        this.accounts = accounts;
        this.server = server;
    }

    @Override
    public Element offer(Stage stage, Negotiation negotiation) {
        return stage == Stage.AFTER_AUTH ? Element.of("sub", PRE_APPROVAL) : null;
    }

    @Override
    public void negotiate(Element element, Negotiation negotiation) {
        negotiation.send(Element.of("failure", PRE_APPROVAL)); // nothing to negotiate
    }

    @Override
    public boolean handle(Element p, Origin origin) {
        if (router == null || sessions == null || rosters == null) return false; // still starting: the router's default handling
        if (!(origin instanceof Session from)) return fromRemote(p, origin); // another server's, passed on by federation
        String type = p.attribute("type");
        Jid to = p.attribute("to") == null ? null : Jid.of(p.attribute("to"));
        switch (type == null ? "available" : type) {
            case "available", "unavailable" -> {
                if (to == null) broadcast(p, from, type == null);
                else directed(p, from, to);
            }
            case "subscribe", "subscribed", "unsubscribe", "unsubscribed" -> {
                if (to == null) error(p, from, StanzaError.BAD_REQUEST, "A subscription request needs a 'to' (RFC 6121 §3)");
                else if (to.bare().equals(from.jid().bare())) error(p, from, StanzaError.BAD_REQUEST, "An account does not subscribe to itself");
                else {
                    try {
                        subscription(type, from, to.bare(), p);
                    } catch (RosterFullException e) {
                        error(p, from, StanzaError.NOT_ALLOWED, e.getMessage());
                    }
                }
            }
            case "probe" -> {
                if (to != null) probe(from, to.bare(), from.jid());
            }
            case "error" -> {
                if (to != null) router.deliver(p, from);
            }
            default -> error(p, from, StanzaError.BAD_REQUEST, "Unknown presence type '" + type + "' (RFC 6121 §4.7.1)");
        }
        return true;
    }

    private static void error(Element p, Session from, StanzaError error, String text) {
        from.send(error.replyTo(p, text, true));
    }

    static Element presence(Jid from, Jid to, String type) {
        Element.Builder b = Element.builder("presence", CLIENT).attribute("from", from.toString()).attribute("to", to.toString());
        if (type != null) b.attribute("type", type);
        return b.build();
    }

    private static Element addressed(Element p, Jid to) {
        return p.toBuilder().attribute("to", to.toString()).build();
    }

    /** An account on another server: its side of a subscription is that server's. */
    private boolean remote(Jid contact) {
        return contact.local() != null && !server.hosts(contact.domain());
    }

    /**
     * RFC 6121's inbound side for a subscription stanza or probe from another server's account
     * (federation hands it to this point before delivering it): the local account's roster and
     * pending requests change as for a local sender; a probe is answered if the prober is subscribed.
     * Anything else (available, unavailable, errors) is delivered as usual.
     */
    private boolean fromRemote(Element p, Origin origin) {
        String type = p.attribute("type");
        if (type == null || p.attribute("to") == null || p.attribute("from") == null) return false;
        Jid to = Jid.of(p.attribute("to")).bare(), sender = Jid.of(p.attribute("from"));
        if (!remote(sender) || !local(to)) return false;
        Jid user = sender.bare();
        Element stanza = p.toBuilder().attribute("from", user.toString()).attribute("to", to.toString()).build();
        switch (type) {
            case "subscribe" -> {
                try {
                    inboundSubscribe(to, user, stanza, origin);
                } catch (RosterFullException e) {
                    origin.send(StanzaError.NOT_ALLOWED.replyTo(p, e.getMessage(), false));
                }
            }
            case "subscribed" -> inboundSubscribed(to, user, stanza, origin);
            case "unsubscribe" -> inboundUnsubscribe(to, user, stanza, origin);
            case "unsubscribed" -> inboundUnsubscribed(to, user, stanza, origin);
            case "probe" -> {
                boolean allowed = rosters.item(to, user).map(i -> i.subscription().from()).orElse(false);
                if (allowed) {
                    for (Session s : sessions.sessions(to)) {
                        if (Presence.isAvailable(s)) Presence.of(s).ifPresent(pr -> router.deliver(addressed(pr, sender), s));
                    }
                }
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    private boolean local(Jid contact) {
        return contact.local() != null && server.hosts(contact.domain()) && accounts.exists(contact);
    }

    // --- broadcast (§4.2, §4.4, §4.5) ----------------------------------------------------------

    private void broadcast(Element p, Session from, boolean available) {
        Jid user = from.jid().bare();
        Element stamped = p.toBuilder().attribute("to", null).build();
        if (available) {
            try {
                Presence.priority(stamped);
            } catch (NumberFormatException e) {
                error(p, from, StanzaError.BAD_REQUEST, "<priority/> must be an integer from -128 to 127 (RFC 6121 §4.7.2.3)");
                return;
            }
        }
        boolean wasAvailable = from.attribute(Presence.ATTRIBUTE) != null;
        if (!available && !wasAvailable) {
            directedUnavailable(stamped, from);
            return;
        }
        from.attribute(Presence.ATTRIBUTE, available ? stamped : null);
        List<RosterItem> roster = rosters.items(user);
        for (RosterItem item : roster) {
            if (item.subscription().from()) router.deliver(addressed(stamped, item.jid()), from);
        }
        for (Session own : sessions.sessions(user)) { // §4.2.2, §4.4.2: the account's own resources, this one included
            if (own == from ? from.isOpen() : Presence.isAvailable(own)) own.send(addressed(stamped, own.jid()));
        }
        if (!available) {
            directedUnavailable(stamped, from);
            if (sessions.sessions(user).stream().noneMatch(s -> s != from && Presence.isAvailable(s))) {
                router.hook(StanzaHook.PRESENCE_LAST_UNAVAILABLE, stamped, from);
            }
            return;
        }
        if (!wasAvailable) initial(stamped, from, user, roster);
    }

    /** §4.2: a session's first presence: what it should know now, then the hooks (offline messages). */
    private void initial(Element stamped, Session from, Jid user, List<RosterItem> roster) {
        for (Session own : sessions.sessions(user)) { // the other resources' presence to the new one
            if (own != from) Presence.of(own).ifPresent(p -> from.send(addressed(p, from.jid())));
        }
        for (RosterItem item : roster) { // §4.3: probes, answered at once for local contacts
            if (item.subscription().to()) probe(from, item.jid(), from.jid());
        }
        store.getAll(user, Rosters.PENDING_STORE).values().forEach(from::send); // §3.1.3: pending requests
        router.hook(StanzaHook.PRESENCE_INITIAL, stamped, from);
    }

    /**
     * §4.3.2: a probe of a local contact is answered with its available resources' presence, if
     * subscribed. A contact with nobody available has nothing to answer with: no storage is read.
     */
    private void probe(Session from, Jid contact, Jid replyTo) {
        if (remote(contact)) { // another server's contact: its server answers (§4.3.1)
            router.deliver(presence(from.jid(), contact, "probe"), from);
            return;
        }
        if (contact.local() == null || !server.hosts(contact.domain())) return;
        List<Session> available = sessions.sessions(contact).stream().filter(Presence::isAvailable).toList();
        if (available.isEmpty()) return;
        boolean allowed = contact.equals(from.jid().bare()) || rosters.item(contact, from.jid()).map(i -> i.subscription().from()).orElse(false);
        if (!allowed) return;
        for (Session s : available) Presence.of(s).ifPresent(p -> router.deliver(addressed(p, replyTo), s)); // 'from' is s's full JID
    }

    // --- directed presence (§4.6) ----------------------------------------------------------------

    @SuppressWarnings("unchecked")
    private static Set<String> directedSet(Session s) {
        Object o = s.attribute(DIRECTED);
        if (o instanceof Set<?> set) return (Set<String>) set;
        Set<String> created = ConcurrentHashMap.newKeySet();
        s.attribute(DIRECTED, created);
        return created;
    }

    private void directed(Element p, Session from, Jid to) {
        boolean available = p.attribute("type") == null;
        if (available && from.attribute(Presence.ATTRIBUTE) != null && !to.bare().equals(from.jid().bare())
                && !rosters.item(from.jid(), to).map(i -> i.subscription().from()).orElse(false)) {
            directedSet(from).add(to.toString());
        } else if (!available && from.attribute(DIRECTED) != null) {
            directedSet(from).remove(to.toString());
        }
        router.deliver(p, from);
    }

    private void directedUnavailable(Element unavailable, Session from) {
        if (!(from.attribute(DIRECTED) instanceof Set<?> targets)) return;
        for (Object t : targets) router.deliver(addressed(unavailable, Jid.of((String) t)), from);
        from.attribute(DIRECTED, null);
    }

    // --- subscriptions (§3, Appendix A) ----------------------------------------------------------

    private void subscription(String type, Session from, Jid contact, Element sent) {
        Jid user = from.jid().bare();
        // §3.1.2: stamped with the bare JID; its children stay (a XEP-0172 <nick/>, a XEP-0379 <preauth/>, a <status/>),
        // kept with the pending request (§3.1.3) and delivered with it
        Element stanza = sent.toBuilder().attribute("from", user.toString()).attribute("to", contact.toString()).build();
        switch (type) {
            case "subscribe" -> {
                rosters.update(user, contact, it -> {
                    RosterItem item = it == null ? RosterItem.of(contact) : it;
                    return item.subscription().to() ? item : item.withState(item.subscription(), true, item.approved());
                });
                if (local(contact)) inboundSubscribe(contact, user, stanza, from);
                else if (remote(contact)) router.deliver(stanza, from);
            }
            case "subscribed" -> {
                // one approver at a time: the contact's request may be arriving on the contact's worker
                // now (inboundSubscribe), and a request stored between our look and a pre-approval
                // would leave both standing and the subscription never made
                synchronized (approver(user)) {
                    boolean pending = store.delete(user, Rosters.PENDING_STORE, contact.toString());
                    RosterItem now = rosters.item(user, contact).orElse(null);
                    if (now != null && now.subscription().from()) return; // §3.1.5: already subscribed, nothing to route
                    if (!pending) { // §3.4: pre-approval
                        rosters.update(user, contact, it -> (it == null ? RosterItem.of(contact) : it).withState(
                                it == null ? Subscription.NONE : it.subscription(), it != null && it.ask(), true));
                        return;
                    }
                    rosters.update(user, contact, it -> {
                        RosterItem item = it == null ? RosterItem.of(contact) : it;
                        return item.withState(Subscription.of(item.subscription().to(), true), item.ask(), false);
                    });
                }
                if (local(contact)) {
                    inboundSubscribed(contact, user, stanza, from);
                    currentPresence(user, contact); // §3.1.5
                } else if (remote(contact)) {
                    router.deliver(stanza, from);
                    currentPresence(user, contact);
                }
            }
            case "unsubscribe" -> {
                rosters.update(user, contact, it -> it == null ? null
                        : it.withState(Subscription.of(false, it.subscription().from()), false, it.approved()));
                if (local(contact)) inboundUnsubscribe(contact, user, stanza, from);
                else if (remote(contact)) router.deliver(stanza, from);
            }
            default -> { // unsubscribed
                boolean pending = store.delete(user, Rosters.PENDING_STORE, contact.toString());
                RosterItem before = rosters.item(user, contact).orElse(null);
                boolean changed = before != null && (before.subscription().from() || before.approved());
                if (changed) {
                    rosters.update(user, contact, it -> it.withState(Subscription.of(it.subscription().to(), false), it.ask(), false));
                }
                // §3.2.1: no subscription to cancel, nothing to route; without an item (removed from the
                // roster, §2.5.2) the contact's side decides, as a remote server would
                if (!changed && !pending && before != null) return;
                if (local(contact)) {
                    inboundUnsubscribed(contact, user, stanza, from);
                    unavailableTo(user, contact); // §3.2.2
                } else if (remote(contact)) {
                    router.deliver(stanza, from);
                    unavailableTo(user, contact);
                }
            }
        }
    }

    /** §3.1.3: the contact's side of a request from {@code user}. */
    private void inboundSubscribe(Jid contact, Jid user, Element stanza, Origin from) {
        synchronized (approver(contact)) { // see "subscribed": the contact may be pre-approving us right now
            inboundSubscribeLocked(contact, user, stanza, from);
        }
    }

    /**
     * The monitor of one approver's subscription decisions: a stripe of a fixed set, so it costs no
     * memory per account. Held only around one account's own check-and-act, never two at once.
     */
    private Object approver(Jid account) {
        return APPROVERS[Math.floorMod(account.bare().hashCode(), APPROVERS.length)];
    }

    private static final Object[] APPROVERS = new Object[256];

    static {
        for (int i = 0; i < APPROVERS.length; i++) APPROVERS[i] = new Object();
    }

    private void inboundSubscribeLocked(Jid contact, Jid user, Element stanza, Origin from) {
        RosterItem item = rosters.item(contact, user).orElse(null);
        if (item != null && item.subscription().from()) { // already subscribed: answered on the contact's behalf
            inboundSubscribed(user, contact, presence(contact, user, "subscribed"), from);
            return;
        }
        if (item != null && item.approved()) { // §3.4: pre-approved
            rosters.update(contact, user, it -> it.withState(Subscription.of(it.subscription().to(), true), it.ask(), false));
            inboundSubscribed(user, contact, presence(contact, user, "subscribed"), from);
            currentPresence(contact, user);
            return;
        }
        if (store.usage(contact, Rosters.PENDING_STORE).documents() >= MAX_PENDING && store.get(contact, Rosters.PENDING_STORE, user.toString()).isEmpty()) {
            throw new RosterFullException(contact, MAX_PENDING); // the contact's pending requests are bounded too
        }
        store.put(contact, Rosters.PENDING_STORE, user.toString(), stanza);
        router.deliver(stanza, from);
    }

    /** §3.1.6: {@code user} now receives {@code approver}'s presence, if it asked for it. */
    private void inboundSubscribed(Jid user, Jid approver, Element stanza, Origin from) {
        if (remote(user)) { // its server keeps its roster
            router.deliver(stanza, from);
            return;
        }
        RosterItem item = rosters.item(user, approver).orElse(null);
        if (item == null || !item.ask()) return; // not requested: ignored
        rosters.update(user, approver, it -> it.withState(Subscription.of(true, it.subscription().from()), false, it.approved()));
        router.deliver(stanza, from);
    }

    /** §3.3.3: {@code user} no longer wants {@code contact}'s presence. */
    private void inboundUnsubscribe(Jid contact, Jid user, Element stanza, Origin from) {
        boolean pending = store.delete(contact, Rosters.PENDING_STORE, user.toString());
        RosterItem item = rosters.item(contact, user).orElse(null);
        boolean changed = item != null && item.subscription().from();
        if (changed) rosters.update(contact, user, it -> it.withState(Subscription.of(it.subscription().to(), false), it.ask(), it.approved()));
        if (changed || pending) {
            router.deliver(stanza, from);
            if (changed) unavailableTo(contact, user);
        }
    }

    /** §3.2.3: {@code user}'s subscription to {@code canceller} (or its request) is cancelled. */
    private void inboundUnsubscribed(Jid user, Jid canceller, Element stanza, Origin from) {
        RosterItem item = rosters.item(user, canceller).orElse(null);
        if (item == null || !(item.subscription().to() || item.ask())) return;
        rosters.update(user, canceller, it -> it.withState(Subscription.of(false, it.subscription().from()), false, it.approved()));
        router.deliver(stanza, from);
    }

    /** The current presence of each available resource of {@code user}, to {@code contact}. */
    private void currentPresence(Jid user, Jid contact) {
        for (Session s : sessions.sessions(user)) Presence.of(s).ifPresent(p -> router.deliver(addressed(p, contact), s));
    }

    private void unavailableTo(Jid user, Jid contact) {
        unavailableTo(sessions, router, user, contact);
    }

    /** §3.2.2: unavailable from each available resource of {@code user} to {@code contact}. */
    static void unavailableTo(SessionRegistry sessions, Router router, Jid user, Jid contact) {
        for (Session s : sessions.sessions(user)) {
            if (Presence.isAvailable(s)) router.deliver(presence(s.jid(), contact, "unavailable"), s);
        }
    }
}
