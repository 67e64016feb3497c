package dev.strata.router.internal;

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
import dev.strata.api.server.ServerInfo;
import dev.strata.api.stanza.Iq;
import dev.strata.api.stanza.Router;
import dev.strata.api.stanza.Session;
import dev.strata.api.stanza.SessionRegistry;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.xml.Element;

/**
 * Routes client stanzas (RFC 6120 §10). IQs addressed to the server (no 'to', a hosted domain, or
 * the sender's own bare JID) go to the {@link IqHandler} registered for their namespace and type,
 * highest {@code service.ranking} first, or get {@code service-unavailable}; a handler's
 * {@link StanzaException} becomes its error reply, anything else {@code internal-server-error},
 * logged once with the stanza id. Stanzas to a bound full JID are delivered to that session.
 * Messages to bare JIDs, presence and offline storage belong to the IM core (issue 4).
 */
@Component(service = Router.class)
public final class StanzaRouter implements Router {
    private static final Logger LOG = LoggerFactory.getLogger(StanzaRouter.class);

    private record Route(IqHandler handler, List<String> types, int ranking, long id) {
    }

    private final Map<String, List<Route>> routes = new ConcurrentHashMap<>();

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile SessionRegistry sessions;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile ServerInfo server;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile AccountStore accounts;

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void addHandler(IqHandler handler, Map<String, Object> props) {
        String ns = (String) props.get("strata.iq.namespace");
        if (ns == null) {
            LOG.warn("IqHandler {} has no strata.iq.namespace property; ignored", handler.getClass().getName());
            return;
        }
        Route r = new Route(handler, strings(props.get("strata.iq.type")), ranking(props), (Long) props.get("service.id"));
        routes.computeIfAbsent(ns, k -> new CopyOnWriteArrayList<>()).add(r);
        routes.get(ns).sort(Comparator.comparingInt(Route::ranking).reversed().thenComparingLong(Route::id));
        LOG.debug("IQ route {} {} -> {}", ns, r.types(), handler.getClass().getName());
    }

    void removeHandler(IqHandler handler, Map<String, Object> props) {
        String ns = (String) props.get("strata.iq.namespace");
        List<Route> list = ns == null ? null : routes.get(ns);
        if (list != null) list.removeIf(r -> r.handler() == handler);
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

    @Override
    public void route(Element stanza, Session from) {
        Jid to;
        try {
            to = stanza.attribute("to") == null ? null : Jid.of(stanza.attribute("to"));
        } catch (InvalidJidException e) {
            bounce(stanza, from, StanzaError.JID_MALFORMED, "The 'to' address is not a valid JID: " + e.getMessage());
            return;
        }
        switch (stanza.name()) {
            case "iq" -> routeIq(stanza, from, to);
            case "message" -> deliverToFullJid(stanza, from, to);
            default -> LOG.debug("Presence from {} not routed yet (IM core)", from.jid());
        }
    }

    /**
     * Whether the server answers the IQ itself: no 'to', a hosted domain, or the bare JID of a
     * local account, which the server handles on the account's behalf (RFC 6121 §8.5.1, §8.5.2).
     */
    private boolean toServer(Session from, Jid to) {
        if (to == null || to.equals(from.jid().bare())) return true;
        ServerInfo s = server;
        return to.isBare() && s != null && s.hosts(to.domain());
    }

    /** RFC 6121 §8.5.1: an IQ to an account that does not exist is answered service-unavailable. */
    private boolean accountMissing(Jid to) {
        AccountStore a = accounts;
        return to != null && to.local() != null && a != null && !a.exists(to);
    }

    private void routeIq(Element stanza, Session from, Jid to) {
        String type = stanza.attribute("type");
        if (!toServer(from, to)) {
            deliverToFullJid(stanza, from, to);
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
        Route route = find(iq.namespace(), type);
        if (route == null || accountMissing(to)) {
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

    private void deliverToFullJid(Element stanza, Session from, Jid to) {
        SessionRegistry registry = sessions;
        if (to != null && !to.isBare() && registry != null) {
            var target = registry.find(to);
            if (target.isPresent()) {
                target.get().send(stanza);
                return;
            }
        }
        bounce(stanza, from, StanzaError.SERVICE_UNAVAILABLE, null);
    }

    /** RFC 6120 §8.3.1: an error reply to the sender, never to an error or a result. */
    private static void bounce(Element stanza, Session from, StanzaError error, String text) {
        String type = stanza.attribute("type");
        if ("error".equals(type) || "result".equals(type)) return;
        if (stanza.name().equals("presence")) return;
        from.send(error.replyTo(stanza, text, true)); // the stanza's 'from' is the sender's stamped full JID
    }
}
