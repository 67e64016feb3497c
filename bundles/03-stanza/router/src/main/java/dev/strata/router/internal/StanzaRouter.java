package dev.strata.router.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.InvalidJidException;
import dev.strata.api.Jid;
import dev.strata.api.auth.AccountStore;
import dev.strata.api.module.IqHandler;
import dev.strata.api.module.StanzaHook;
import dev.strata.api.server.ServerInfo;
import dev.strata.api.stanza.Iq;
import dev.strata.api.stanza.Presence;
import dev.strata.api.stanza.Router;
import dev.strata.api.stanza.Session;
import dev.strata.api.stanza.SessionRegistry;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.xml.Element;

/**
 * Routes client stanzas by RFC 6120 §10 and RFC 6121 §8.5. IQs addressed to the server (no 'to',
 * a hosted domain, or a local bare JID) go to the {@link IqHandler} registered for their namespace
 * and type, highest {@code service.ranking} first, or get {@code service-unavailable}. Messages
 * and presence to local accounts are delivered by the §8.5 rules (see {@link #deliver}); messages
 * for an account with no available resource go to the {@code message/offline} hooks. Client
 * presence goes to the {@code presence} hooks (the presence module). There is no federation yet:
 * other domains get {@code remote-server-not-found}.
 */
@Component(service = Router.class)
public final class StanzaRouter implements Router {
    private static final Logger LOG = LoggerFactory.getLogger(StanzaRouter.class);

    private record Route(IqHandler handler, List<String> types, int ranking, long id) {
    }

    private record Hook(StanzaHook hook, int ranking, long id) {
    }

    private final Map<String, List<Route>> routes = new ConcurrentHashMap<>();
    private final Map<String, List<Hook>> hooks = new ConcurrentHashMap<>();

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile SessionRegistry sessions;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile ServerInfo server;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile AccountStore accounts;

    public StanzaRouter() {
    }

    /** For tests: a router over given services. */
    StanzaRouter(SessionRegistry sessions, ServerInfo server, AccountStore accounts) {
        this.sessions = sessions;
        this.server = server;
        this.accounts = accounts;
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void addHandler(IqHandler handler, Map<String, Object> props) {
        String ns = (String) props.get("strata.iq.namespace");
        if (ns == null) {
            LOG.warn("IqHandler {} has no strata.iq.namespace property; ignored", handler.getClass().getName());
            return;
        }
        Route r = new Route(handler, strings(props.get("strata.iq.type")), ranking(props), id(props));
        List<Route> list = routes.computeIfAbsent(ns, k -> new CopyOnWriteArrayList<>());
        list.add(r);
        list.sort(Comparator.comparingInt(Route::ranking).reversed().thenComparingLong(Route::id));
        LOG.debug("IQ route {} {} -> {}", ns, r.types(), handler.getClass().getName());
    }

    void removeHandler(IqHandler handler, Map<String, Object> props) {
        String ns = (String) props.get("strata.iq.namespace");
        List<Route> list = ns == null ? null : routes.get(ns);
        if (list != null) list.removeIf(r -> r.handler() == handler);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void addHook(StanzaHook hook, Map<String, Object> props) {
        if (props.get(StanzaHook.POINT) == null) {
            LOG.warn("StanzaHook {} has no {} property; ignored", hook.getClass().getName(), StanzaHook.POINT);
            return;
        }
        for (String point : strings(props.get(StanzaHook.POINT))) {
            List<Hook> list = hooks.computeIfAbsent(point, k -> new CopyOnWriteArrayList<>());
            list.add(new Hook(hook, ranking(props), id(props)));
            list.sort(Comparator.comparingInt(Hook::ranking).reversed().thenComparingLong(Hook::id));
            LOG.debug("Hook {} -> {}", point, hook.getClass().getName());
        }
    }

    void removeHook(StanzaHook hook, Map<String, Object> props) {
        for (String point : strings(props.get(StanzaHook.POINT))) {
            List<Hook> list = hooks.get(point);
            if (list != null) list.removeIf(h -> h.hook() == hook);
        }
    }

    private static List<String> strings(Object o) {
        return switch (o) {
            case null -> List.of("get", "set");
            case String s -> List.of(s);
            case String[] a -> List.of(a);
            default -> List.of(o.toString());
        };
    }

    private static int ranking(Map<String, Object> props) {
        return props.get("service.ranking") instanceof Integer i ? i : 0;
    }

    private static long id(Map<String, Object> props) {
        return props.get("service.id") instanceof Long l ? l : 0L;
    }

    @Override
    public boolean hook(String point, Element stanza, Session session) {
        List<Hook> list = hooks.get(point);
        if (list == null) return false;
        for (Hook h : list) {
            try {
                if (h.hook().handle(stanza, session)) return true;
            } catch (RuntimeException e) {
                LOG.error("Hook {} of {} failed on a {} from {}", point, h.hook().getClass().getName(), stanza.name(), session.jid(), e);
            }
        }
        return false;
    }

    @Override
    public void route(Element stanza, Session from) {
        Jid to;
        try {
            to = stanza.attribute("to") == null ? null : Jid.of(stanza.attribute("to"));
        } catch (InvalidJidException e) {
            bounce(stanza, from, StanzaError.JID_MALFORMED, "The 'to' address is not a valid JID: " + e.getMessage());
            return;
        }
        if (hook(StanzaHook.OUTBOUND, stanza, from)) return;
        switch (stanza.name()) {
            case "iq" -> routeIq(stanza, from, to);
            case "message" -> routeMessage(stanza, from, to);
            default -> routePresence(stanza, from, to);
        }
    }

    private boolean hosted(Jid jid) {
        ServerInfo s = server;
        return s != null && s.hosts(jid.domain());
    }

    /**
     * Whether the server answers the IQ itself: no 'to', a hosted domain, or the bare JID of a
     * local account, which the server handles on the account's behalf (RFC 6121 §8.5.1, §8.5.2).
     */
    private boolean toServer(Session from, Jid to) {
        if (to == null || to.equals(from.jid().bare())) return true;
        return to.isBare() && hosted(to);
    }

    /**
     * RFC 6121 §8.5.1: no account of that name on this server. An account with a session exists
     * (deleting one ends its sessions), so the store is asked only when nobody is online.
     */
    private boolean accountMissing(Jid to) {
        AccountStore a = accounts;
        if (to == null || to.local() == null || a == null) return false;
        SessionRegistry registry = sessions;
        if (registry != null && !registry.sessions(to.bare()).isEmpty()) return false;
        return !a.exists(to.bare());
    }

    private void routeIq(Element stanza, Session from, Jid to) {
        String type = stanza.attribute("type");
        if (!toServer(from, to)) {
            toAddress(stanza, from, to);
            return;
        }
        if ("result".equals(type) || "error".equals(type)) return; // answers to the server's own requests
        Iq iq;
        try {
            iq = Iq.of(stanza, from.jid(), to == null ? Jid.of(from.jid().domain()) : to);
        } catch (StanzaException e) {
            bounce(stanza, from, e.error(), e.getMessage());
            return;
        }
        if (accountMissing(to)) {
            from.send(iq.error(StanzaError.SERVICE_UNAVAILABLE, "No such account"));
            return;
        }
        if (to != null && to.local() != null && !to.equals(from.jid().bare()) && hook(StanzaHook.INBOUND, stanza, from)) {
            return;
        }
        Route route = find(iq.namespace(), type);
        if (route == null) {
            from.send(iq.error(StanzaError.SERVICE_UNAVAILABLE, null));
            return;
        }
        try {
            from.send(iq.result(route.handler().handle(iq, from)));
        } catch (StanzaException e) {
            from.send(iq.error(e));
        } catch (RuntimeException e) {
            LOG.error("{} failed on IQ {} ({}) from {}", route.handler().getClass().getName(), iq.id(), iq.namespace(), from.jid(), e);
            from.send(iq.error(StanzaError.INTERNAL_SERVER_ERROR, null));
        }
    }

    private Route find(String namespace, String type) {
        List<Route> list = routes.get(namespace);
        if (list == null) return null;
        for (Route r : list) if (r.types().contains(type)) return r;
        return null;
    }

    /** RFC 6120 §10.3.1: a message without 'to' is for the sender's own bare JID. */
    private void routeMessage(Element stanza, Session from, Jid to) {
        if (to == null) {
            to = from.jid().bare();
            stanza = stanza.toBuilder().attribute("to", to.toString()).build();
        }
        toAddress(stanza, from, to);
    }

    /** Presence is the presence module's (a hook); without it, directed presence is still delivered. */
    private void routePresence(Element stanza, Session from, Jid to) {
        if (hook(StanzaHook.PRESENCE, stanza, from)) return;
        if (to != null) toAddress(stanza, from, to);
    }

    /** A stanza to an address other than the server itself: a local account, the domain, or elsewhere. */
    private void toAddress(Element stanza, Session from, Jid to) {
        if (!hosted(to)) {
            bounce(stanza, from, StanzaError.REMOTE_SERVER_NOT_FOUND, "This server does not federate (yet) with " + to.domain());
            return;
        }
        if (to.local() == null) {
            // RFC 6120 §10.3: the server itself; nothing here handles messages or presence to it
            if (!stanza.name().equals("presence")) bounce(stanza, from, StanzaError.SERVICE_UNAVAILABLE, null);
            return;
        }
        deliver(stanza, from);
    }

    @Override
    public void deliver(Element stanza, Session from) {
        Jid to = Jid.of(stanza.attribute("to"));
        String type = stanza.attribute("type");
        if (to.local() == null || !hosted(to)) { // what the server sends on a client's behalf to other servers
            LOG.debug("{} from {} to {} dropped: no federation yet", stanza.name(), from.jid(), to);
            return;
        }
        // §8.5.1; presence skips the lookup: to a missing account it is dropped like to one with nobody available
        if (!stanza.name().equals("presence") && accountMissing(to)) {
            bounce(stanza, from, StanzaError.SERVICE_UNAVAILABLE, "No such account");
            return;
        }
        if (hook(StanzaHook.INBOUND, stanza, from)) return;
        SessionRegistry registry = sessions;
        if (!to.isBare()) { // §8.5.3
            Session target = registry == null ? null : registry.find(to).filter(Session::isOpen).orElse(null);
            if (target != null) {
                target.send(stanza); // §8.5.3.1
                return;
            }
            switch (stanza.name()) { // §8.5.3.2
                case "message" -> {
                    if ("chat".equals(type)) toBareJid(stanza, from, to.bare(), registry);
                    else bounce(stanza, from, StanzaError.SERVICE_UNAVAILABLE, "The resource is not online");
                }
                case "iq" -> bounce(stanza, from, StanzaError.SERVICE_UNAVAILABLE, "The resource is not online");
                default -> { } // §8.5.3.2.2: presence to a resource that is gone is dropped
            }
            return;
        }
        toBareJid(stanza, from, to, registry);
    }

    /** §8.5.2: a message or presence to the bare JID of a local account. */
    private void toBareJid(Element stanza, Session from, Jid to, SessionRegistry registry) {
        List<Session> available = new ArrayList<>();
        if (registry != null) for (Session s : registry.sessions(to)) if (Presence.isAvailable(s)) available.add(s);
        if (stanza.name().equals("presence")) { // §8.5.2.1.2: to every available resource
            available.forEach(s -> s.send(stanza));
            return;
        }
        String type = stanza.attribute("type") == null ? "normal" : stanza.attribute("type");
        switch (type) {
            case "error" -> { } // silently ignored (§8.5.2.1.1, §8.5.2.2.1)
            case "groupchat" -> bounce(stanza, from, StanzaError.SERVICE_UNAVAILABLE, "A groupchat message to a user's bare JID is not delivered (RFC 6121 §8.5.2.1.1)");
            case "headline" -> available.stream().filter(s -> Presence.priority(s) >= 0).forEach(s -> s.send(stanza));
            default -> { // normal, chat, and an unknown type treated as normal (RFC 6121 §5.2.2)
                int best = available.stream().mapToInt(Presence::priority).filter(p -> p >= 0).max().orElse(-1);
                if (best >= 0) {
                    available.stream().filter(s -> Presence.priority(s) == best).forEach(s -> s.send(stanza));
                } else if (!hook(StanzaHook.MESSAGE_OFFLINE, stanza, from)) {
                    bounce(stanza, from, StanzaError.SERVICE_UNAVAILABLE, "The recipient is offline");
                }
            }
        }
    }

    /** RFC 6120 §8.3.1: an error reply to the sender, never to an error or a result. */
    private static void bounce(Element stanza, Session from, StanzaError error, String text) {
        String type = stanza.attribute("type");
        if ("error".equals(type) || "result".equals(type)) return;
        if (stanza.name().equals("presence") && type != null && !type.equals("unavailable")) return; // no errors for subscription traffic
        from.send(error.replyTo(stanza, text, true)); // the stanza's 'from' is the sender's stamped full JID
    }
}
