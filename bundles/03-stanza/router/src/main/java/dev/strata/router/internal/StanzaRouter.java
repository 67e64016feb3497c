package dev.strata.router.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

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
import dev.strata.api.metrics.Metrics;
import dev.strata.api.module.DeliveryListener;
import dev.strata.api.module.IqHandler;
import dev.strata.api.module.IqRoute;
import dev.strata.api.module.StanzaFilter;
import dev.strata.api.module.StanzaHook;
import dev.strata.api.server.ServerInfo;
import dev.strata.api.stanza.DomainService;
import dev.strata.api.stanza.Iq;
import dev.strata.api.stanza.Origin;
import dev.strata.api.stanza.RemoteRouter;
import dev.strata.api.stanza.Router;
import dev.strata.api.stanza.Session;
import dev.strata.api.stanza.SessionInfo;
import dev.strata.api.stanza.SessionRegistry;
import dev.strata.api.stanza.StanzaContext;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.xml.Element;

/**
 * Routes stanzas by RFC 6120 §10 and RFC 6121 §8.5. IQs addressed to the server (no 'to', a hosted
 * domain, or a local bare JID) go to the {@link IqHandler} registered for their namespace, type and
 * addressee, highest {@code service.ranking} first, or get {@code service-unavailable}. Messages and
 * presence to local accounts are delivered by the §8.5 rules (see {@link #deliver}); messages for an
 * account with no available resource go to the {@code message/offline} hooks. Client presence goes
 * to the {@code presence} hooks (the presence module). Stanzas to a domain a {@link DomainService}
 * serves go to it; to any other domain, to the {@link RemoteRouter}, or {@code remote-server-not-found}.
 * Hooks and filters fail closed.
 */
@Component(service = Router.class)
public final class StanzaRouter implements Router {
    private static final Logger LOG = LoggerFactory.getLogger(StanzaRouter.class);
    /** The prefix of the ids of the server's own requests ({@link #request}). */
    private static final String REQUEST_ID = "strata-";

    private record Route(IqHandler handler, List<String> types, List<IqRoute.To> targets, int ranking, long id) {
    }

    private record Ranked<T>(T service, int ranking, long id) {
    }

    private record Pending(Jid to, CompletableFuture<Element> answer) {
    }

    private static final Comparator<Ranked<?>> BY_RANKING = Comparator.<Ranked<?>>comparingInt(Ranked::ranking).reversed()
            .thenComparingLong(Ranked::id);

    private final Map<String, List<Route>> routes = new ConcurrentHashMap<>();
    private final Map<String, List<Ranked<StanzaHook>>> hooks = new ConcurrentHashMap<>();
    private final Map<String, List<Ranked<StanzaFilter>>> filters = new ConcurrentHashMap<>();
    private final List<DeliveryListener> listeners = new CopyOnWriteArrayList<>();
    private final Map<String, DomainService> services = new ConcurrentHashMap<>();
    private final Map<String, Pending> pending = new ConcurrentHashMap<>();
    private final AtomicLong requests = new AtomicLong();

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile SessionRegistry sessions;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile ServerInfo server;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile AccountStore accounts;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile RemoteRouter remote;

    /** Routing time by stanza kind ({@code strata_routing_seconds}), while the metrics module is loaded. */
    private volatile Metrics.Histogram.Child[] routing = timers(Metrics.NONE);

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void bindMetrics(Metrics m) {
        routing = timers(m);
    }

    void unbindMetrics(Metrics m) {
        routing = timers(Metrics.NONE);
    }

    private static Metrics.Histogram.Child[] timers(Metrics m) {
        Metrics.Histogram h = m.histogram("strata_routing_seconds", "Time to route a stanza from a client or service: filters, hooks, handlers, "
                + "delivery to the recipients' queues, and the storage writes done on the way (offline, archive)", "kind");
        return new Metrics.Histogram.Child[] {h.labels("message"), h.labels("presence"), h.labels("iq")};
    }

    public StanzaRouter() {
    }

    /** For tests: a router over given services. */
    StanzaRouter(SessionRegistry sessions, ServerInfo server, AccountStore accounts) {
        this.sessions = sessions;
        this.server = server;
        this.accounts = accounts;
    }

    /** Federation (the s2s module) arrives: stanzas to other servers' domains go to it. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void bindRemote(RemoteRouter r) {
        remote = r;
    }

    /** For tests: federation arrives. */
    void remote(RemoteRouter r) {
        remote = r;
    }

    void unbindRemote(RemoteRouter r) {
        if (remote == r) remote = null;
    }

    // --- the whiteboard -------------------------------------------------------------------------

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void addHandler(IqHandler handler, Map<String, Object> props) {
        String ns = (String) props.get("strata.iq.namespace");
        if (ns == null) {
            LOG.warn("IqHandler {} has no strata.iq.namespace property; ignored", handler.getClass().getName());
            return;
        }
        List<String> types = props.get("strata.iq.type") == null ? List.of("get", "set") : strings(props.get("strata.iq.type"));
        List<IqRoute.To> targets = props.get("strata.iq.target") == null ? List.of()
                : strings(props.get("strata.iq.target")).stream().map(IqRoute.To::valueOf).toList();
        Route r = new Route(handler, types, targets, ranking(props), id(props));
        List<Route> list = routes.computeIfAbsent(ns, k -> new CopyOnWriteArrayList<>());
        list.add(r);
        list.sort(Comparator.comparingInt(Route::ranking).reversed().thenComparingLong(Route::id));
        LOG.debug("IQ route {} {} {} -> {}", ns, r.types(), r.targets(), handler.getClass().getName());
    }

    void removeHandler(IqHandler handler, Map<String, Object> props) {
        String ns = (String) props.get("strata.iq.namespace");
        List<Route> list = ns == null ? null : routes.get(ns);
        if (list != null) list.removeIf(r -> r.handler() == handler);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void addHook(StanzaHook hook, Map<String, Object> props) {
        add(hooks, hook, props, StanzaHook.POINT);
    }

    void removeHook(StanzaHook hook, Map<String, Object> props) {
        remove(hooks, hook, props, StanzaHook.POINT);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void addFilter(StanzaFilter filter, Map<String, Object> props) {
        add(filters, filter, props, StanzaFilter.POINT);
    }

    void removeFilter(StanzaFilter filter, Map<String, Object> props) {
        remove(filters, filter, props, StanzaFilter.POINT);
    }

    private static <T> void add(Map<String, List<Ranked<T>>> points, T service, Map<String, Object> props, String pointProperty) {
        if (props.get(pointProperty) == null) {
            LOG.warn("{} has no {} property; ignored", service.getClass().getName(), pointProperty);
            return;
        }
        for (String point : strings(props.get(pointProperty))) {
            List<Ranked<T>> list = points.computeIfAbsent(point, k -> new CopyOnWriteArrayList<>());
            list.add(new Ranked<>(service, ranking(props), id(props)));
            list.sort(BY_RANKING);
            LOG.debug("{} {} -> {}", pointProperty, point, service.getClass().getName());
        }
    }

    private static <T> void remove(Map<String, List<Ranked<T>>> points, T service, Map<String, Object> props, String pointProperty) {
        for (String point : strings(props.get(pointProperty))) {
            List<Ranked<T>> list = points.get(point);
            if (list != null) list.removeIf(h -> h.service() == service);
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void addListener(DeliveryListener listener) {
        listeners.add(listener);
    }

    void removeListener(DeliveryListener listener) {
        listeners.remove(listener);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void addService(DomainService service, Map<String, Object> props) {
        for (String domain : strings(props.get(DomainService.DOMAIN))) {
            DomainService before = services.putIfAbsent(domain, service);
            if (before != null) LOG.warn("{} is served by {} already; {} is not used for it", domain, before.getClass().getName(), service.getClass().getName());
            else LOG.debug("Domain service {} -> {}", domain, service.getClass().getName());
        }
    }

    void removeService(DomainService service, Map<String, Object> props) {
        services.values().removeIf(s -> s == service);
    }

    private static List<String> strings(Object o) {
        return switch (o) {
            case null -> List.of();
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

    // --- hooks and filters ---------------------------------------------------------------------

    @Override
    public boolean hook(String point, Element stanza, Origin origin) {
        List<Ranked<StanzaHook>> list = hooks.get(point);
        if (list == null) return false;
        for (Ranked<StanzaHook> h : list) {
            try {
                if (h.service().handle(stanza, origin)) return true;
            } catch (RuntimeException e) {
                LOG.error("Hook {} of {} failed on a {} from {}; the stanza goes no further", point, h.service().getClass().getName(),
                        stanza.name(), origin.jid(), e);
                bounce(stanza, origin, StanzaError.INTERNAL_SERVER_ERROR, null);
                return true;
            }
        }
        return false;
    }

    /** Runs the filters of a point; null when one dropped the stanza (or failed, closing it). */
    private Element filter(String point, Element stanza, StanzaContext context) {
        List<Ranked<StanzaFilter>> list = filters.get(point);
        if (list == null) return stanza;
        Element current = stanza;
        for (Ranked<StanzaFilter> f : list) {
            try {
                current = f.service().filter(current, context);
            } catch (RuntimeException e) {
                LOG.error("Filter {} of {} failed on a {} from {}; the stanza goes no further", point, f.service().getClass().getName(),
                        stanza.name(), context.origin().jid(), e);
                bounce(stanza, context.origin(), StanzaError.INTERNAL_SERVER_ERROR, null);
                return null;
            }
            if (current == null) return null;
        }
        return current;
    }

    /** Hands a stanza to a local session and tells the delivery listeners. */
    private void handTo(Session target, Element stanza, StanzaContext context) {
        target.send(stanza);
        for (DeliveryListener l : listeners) {
            try {
                l.delivered(stanza, target, context);
            } catch (RuntimeException e) {
                LOG.error("Delivery listener {} failed on a {} to {}", l.getClass().getName(), stanza.name(), target.jid(), e);
            }
        }
    }

    // --- routing --------------------------------------------------------------------------------

    @Override
    public void route(Element stanza, Origin from) {
        long start = System.nanoTime();
        try {
            routeNow(stanza, from);
        } finally {
            routing[switch (stanza.name()) {
                case "message" -> 0;
                case "presence" -> 1;
                default -> 2;
            }].since(start);
        }
    }

    private void routeNow(Element stanza, Origin from) {
        Jid to;
        try {
            to = stanza.attribute("to") == null ? null : Jid.of(stanza.attribute("to"));
        } catch (InvalidJidException e) {
            bounce(stanza, from, StanzaError.JID_MALFORMED, "The 'to' address is not a valid JID: " + e.getMessage());
            return;
        }
        StanzaContext context = StanzaContext.of(from);
        stanza = filter(StanzaFilter.OUTBOUND, stanza, context);
        if (stanza == null || hook(StanzaHook.OUTBOUND, stanza, from)) return;
        switch (stanza.name()) {
            case "iq" -> routeIq(stanza, context, to);
            case "message" -> routeMessage(stanza, context, to);
            default -> routePresence(stanza, context, to);
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
    private boolean toServer(Origin from, Jid to) {
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

    private void routeIq(Element stanza, StanzaContext context, Jid to) {
        Origin from = context.origin();
        String type = stanza.attribute("type");
        if (!toServer(from, to)) {
            toAddress(stanza, context, to);
            return;
        }
        if ("result".equals(type) || "error".equals(type)) {
            answered(stanza, from.jid());
            return;
        }
        Iq iq;
        try {
            iq = Iq.of(stanza, from.jid(), to == null ? from.jid().domainJid() : to);
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
        Route route = find(iq.namespace(), type, addressee(from, to));
        if (route == null) {
            boolean ownOnly = to != null && to.local() != null && find(iq.namespace(), type, IqRoute.To.SELF) != null;
            from.send(ownOnly ? iq.error(StanzaError.FORBIDDEN, "Only the account itself may ask this of its account")
                    : iq.error(StanzaError.SERVICE_UNAVAILABLE, null));
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

    /** Whom an IQ to the server is for, in {@link IqRoute#target()} terms; null: another account. */
    private static IqRoute.To addressee(Origin from, Jid to) {
        if (to == null) return null; // all three
        if (to.local() == null) return IqRoute.To.SERVER;
        return to.equals(from.jid().bare()) ? IqRoute.To.SELF : IqRoute.To.ACCOUNT;
    }

    /**
     * The first route for the namespace and type that serves this addressee: {@code null} (no 'to')
     * matches every target; SELF is an ACCOUNT too.
     */
    private Route find(String namespace, String type, IqRoute.To addressee) {
        List<Route> list = routes.get(namespace);
        if (list == null) return null;
        for (Route r : list) {
            if (!r.types().contains(type)) continue;
            if (r.targets().isEmpty() || addressee == null || r.targets().contains(addressee)
                    || (addressee == IqRoute.To.SELF && r.targets().contains(IqRoute.To.ACCOUNT))) {
                return r;
            }
        }
        return null;
    }

    /** RFC 6120 §10.3.1: a message without 'to' is for the sender's own bare JID. */
    private void routeMessage(Element stanza, StanzaContext context, Jid to) {
        if (to == null) {
            to = context.origin().jid().bare();
            stanza = stanza.toBuilder().attribute("to", to.toString()).build();
        }
        toAddress(stanza, context, to);
    }

    /** Presence is the presence module's (a hook); without it, directed presence is still delivered. */
    private void routePresence(Element stanza, StanzaContext context, Jid to) {
        if (hook(StanzaHook.PRESENCE, stanza, context.origin())) return;
        if (to != null) toAddress(stanza, context, to);
    }

    /** A stanza to an address other than the server itself: a local account, the domain, a service, or elsewhere. */
    private void toAddress(Element stanza, StanzaContext context, Jid to) {
        if (hosted(to) && to.local() == null) {
            // RFC 6120 §10.3: the server itself; nothing here handles messages or presence to it
            if (!stanza.name().equals("presence")) bounce(stanza, context.origin(), StanzaError.SERVICE_UNAVAILABLE, null);
            return;
        }
        deliver(stanza, context);
    }

    @Override
    public void deliver(Element stanza, StanzaContext context) {
        Origin from = context.origin();
        Jid to = Jid.of(stanza.attribute("to"));
        if (!hosted(to)) {
            elsewhere(stanza, from, to);
            return;
        }
        if (to.local() == null) { // the server itself: answers to its own requests; nothing else is delivered to it here
            if (stanza.name().equals("iq")) answered(stanza, from.jid());
            return;
        }
        String type = stanza.attribute("type");
        // §8.5.1; presence skips the lookup: to a missing account it is dropped like to one with nobody available
        if (!stanza.name().equals("presence") && accountMissing(to)) {
            bounce(stanza, from, StanzaError.SERVICE_UNAVAILABLE, "No such account");
            return;
        }
        if (hook(StanzaHook.INBOUND, stanza, from)) return;
        stanza = filter(StanzaFilter.INBOUND, stanza, context);
        if (stanza == null) return;
        SessionRegistry registry = sessions;
        if (!to.isBare()) { // §8.5.3
            Session target = registry == null ? null : registry.find(to).filter(Session::isOpen).orElse(null);
            if (target != null) {
                handTo(target, stanza, context); // §8.5.3.1
                return;
            }
            switch (stanza.name()) { // §8.5.3.2
                case "message" -> {
                    if ("chat".equals(type)) toBareJid(stanza, context, to.bare(), registry);
                    else bounce(stanza, from, StanzaError.SERVICE_UNAVAILABLE, "The resource is not online");
                }
                case "iq" -> bounce(stanza, from, StanzaError.SERVICE_UNAVAILABLE, "The resource is not online");
                default -> { } // §8.5.3.2.2: presence to a resource that is gone is dropped
            }
            return;
        }
        toBareJid(stanza, context, to, registry);
    }

    /** A domain this server does not host: a service's, or another server's. */
    private void elsewhere(Element stanza, Origin from, Jid to) {
        DomainService service = services.get(to.domain());
        if (service != null) {
            if (answered(stanza, from.jid())) return;
            try {
                service.handle(stanza, from);
            } catch (RuntimeException e) {
                LOG.error("Service {} of {} failed on a {} from {}", service.getClass().getName(), to.domain(), stanza.name(), from.jid(), e);
                bounce(stanza, from, StanzaError.INTERNAL_SERVER_ERROR, null);
            }
            return;
        }
        RemoteRouter r = remote;
        if (r != null) {
            if (hook(StanzaHook.REMOTE, stanza, from)) return; // XEP-0191 and the like, for addresses on other servers
            r.route(stanza, from);
            return;
        }
        bounce(stanza, from, StanzaError.REMOTE_SERVER_NOT_FOUND, "This server does not federate (yet) with " + to.domain());
    }

    /** §8.5.2: a message or presence to the bare JID of a local account. */
    private void toBareJid(Element stanza, StanzaContext context, Jid to, SessionRegistry registry) {
        List<SessionInfo> available = registry == null ? List.of() : registry.available(to);
        if (stanza.name().equals("presence")) { // §8.5.2.1.2: to every available resource
            for (SessionInfo s : available) local(s, stanza, context);
            return;
        }
        String type = stanza.attribute("type") == null ? "normal" : stanza.attribute("type");
        switch (type) {
            case "error" -> { } // silently ignored (§8.5.2.1.1, §8.5.2.2.1)
            case "groupchat" -> bounce(stanza, context.origin(), StanzaError.SERVICE_UNAVAILABLE,
                    "A groupchat message to a user's bare JID is not delivered (RFC 6121 §8.5.2.1.1)");
            case "headline" -> {
                for (SessionInfo s : available) if (s.priority() >= 0) local(s, stanza, context);
            }
            default -> { // normal, chat, and an unknown type treated as normal (RFC 6121 §5.2.2)
                int best = available.stream().mapToInt(SessionInfo::priority).filter(p -> p >= 0).max().orElse(-1);
                if (best >= 0) {
                    for (SessionInfo s : available) if (s.priority() == best) local(s, stanza, context);
                } else if (!hook(StanzaHook.MESSAGE_OFFLINE, stanza, context.origin())) {
                    bounce(stanza, context.origin(), StanzaError.SERVICE_UNAVAILABLE, "The recipient is offline");
                }
            }
        }
    }

    /** A session the registry reports; one held by another node would be reached through it (clustering, later). */
    private void local(SessionInfo info, Element stanza, StanzaContext context) {
        if (info.session() != null) handTo(info.session(), stanza, context);
    }

    // --- the server's own requests --------------------------------------------------------------

    @Override
    public CompletionStage<Element> request(Element iq, Duration timeout) {
        String id = iq.attribute("id");
        if (id == null) {
            id = REQUEST_ID + Long.toString(requests.incrementAndGet(), 36);
            iq = iq.toBuilder().attribute("id", id).build();
        }
        Jid to = Jid.of(iq.attribute("to"));
        Jid from = iq.attribute("from") != null ? Jid.of(iq.attribute("from")) : to.domainJid();
        if (iq.attribute("from") == null) iq = iq.toBuilder().attribute("from", from.toString()).build();
        CompletableFuture<Element> answer = new CompletableFuture<>();
        String key = id;
        pending.put(key, new Pending(to, answer));
        answer.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).whenComplete((r, e) -> pending.remove(key));
        deliver(iq, Origin.of(from, reply -> answered(reply, to)));
        return answer;
    }

    /** Completes the server's request an IQ result or error answers; false when it answers none. */
    private boolean answered(Element stanza, Jid responder) {
        if (!stanza.name().equals("iq")) return false;
        String type = stanza.attribute("type");
        if (!"result".equals(type) && !"error".equals(type)) return false;
        String id = stanza.attribute("id");
        Pending p = id == null ? null : pending.get(id);
        // the answer must come from whom the request went to (a bare JID is answered by any of its resources)
        if (p == null || !(p.to().equals(responder) || p.to().equals(responder.bare()))) return false;
        pending.remove(id, p);
        p.answer().complete(stanza);
        return true;
    }

    /** RFC 6120 §8.3.1: an error reply to the sender, never to an error or a result. */
    private static void bounce(Element stanza, Origin from, StanzaError error, String text) {
        String type = stanza.attribute("type");
        if ("error".equals(type) || "result".equals(type)) return;
        if (stanza.name().equals("presence") && type != null && !type.equals("unavailable")) return; // no errors for subscription traffic
        from.send(error.replyTo(stanza, text, true)); // the stanza's 'from' is the sender's stamped full JID
    }
}
