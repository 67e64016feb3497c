package dev.strata.xep0163;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Predicate;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.Jid;
import dev.strata.api.module.AccountDisco;
import dev.strata.api.module.Caps;
import dev.strata.api.module.Hook;
import dev.strata.api.module.StanzaHook;
import dev.strata.api.roster.RosterItem;
import dev.strata.api.roster.Rosters;
import dev.strata.api.server.ServerInfo;
import dev.strata.api.stanza.Origin;
import dev.strata.api.stanza.Presence;
import dev.strata.api.stanza.Router;
import dev.strata.api.stanza.Session;
import dev.strata.api.stanza.SessionRegistry;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.xml.Element;
import dev.strata.pubsub.LazyEngine;
import dev.strata.pubsub.PubSubEngine;
import dev.strata.pubsub.PubSubHost;

/**
 * XEP-0163 Personal Eventing Protocol 1.2: a pubsub service on every local account's bare JID,
 * kept by the {@link PubSubEngine} under this policy: the account owns every node and creates one
 * by publishing to it, nodes default to the presence access model, and a publish reaches the
 * account's own resources and its contacts' available resources whose entity capabilities
 * (XEP-0115) ask for {@code <node>+notify} ("filtered notifications"). Capabilities come from each
 * client's presence: the first time a verification string is seen, its disco#info is asked once,
 * checked against the string, and kept for every client that shows it. A resource that becomes
 * available (or changes what it asks for) gets the last item of each node it may read, its own
 * account's and its contacts'.
 */
@Hook(StanzaHook.PRESENCE)
@Component(name = "strata.xep0163", service = {PubSubHost.class, AccountDisco.class, StanzaHook.class}, property = "service.ranking:Integer=100")
@Designate(ocd = Pep.Config.class)
public final class Pep implements PubSubHost, AccountDisco, StanzaHook {
    private static final Logger LOG = LoggerFactory.getLogger(Pep.class);
    static final String DISCO_INFO = "http://jabber.org/protocol/disco#info";
    /** The session attribute with what the client's presence said of its capabilities: [cache key, node, ver, hash]. */
    static final String CAPS = "strata.pep.caps";
    /** The session attribute with the cache key last items were sent for. */
    static final String SENT = "strata.pep.sent";
    private static final int MAX_CACHED = 10_000;

    @ObjectClassDefinition(id = "strata.xep0163", name = "XEP-0163 Personal Eventing Protocol")
    @interface Config {
        @AttributeDefinition(min = "1", max = "100000", description = "Most PEP nodes of one account; past it, policy-violation")
        int max_nodes() default 200;

        @AttributeDefinition(min = "1", max = "100000", description = "Most items one node keeps (a node's max_items of 'max' means this)")
        int max_items() default 1000;

        @AttributeDefinition(min = "1", max = "4000000", description = "Most bytes of one item's payload; past it, not-acceptable with payload-too-big")
        int max_payload_size() default 262144;

        @AttributeDefinition(min = "1", max = "100000", description = "The max_items of a new node that does not set one")
        int default_max_items() default 1;

        @AttributeDefinition(min = "1", max = "300", description = "Seconds to wait for a client's answer about its capabilities")
        int caps_timeout() default 10;
    }

    private final LazyEngine engines;
    private final Router router;
    private final ServerInfo server;
    private final SessionRegistry sessions;
    private volatile Config config;
    /** Capabilities by cache key ("sha-1 ver" when verified, else per client): the features they list. */
    private final Map<String, CompletableFuture<Set<String>>> caps = new ConcurrentHashMap<>();

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile Rosters rosters;

    @Activate
    public Pep(BundleContext context, Config config, @Reference Router router, @Reference ServerInfo server, @Reference SessionRegistry sessions) {
        this.config = config;
        this.engines = new LazyEngine(context);
        this.router = router;
        this.server = server;
        this.sessions = sessions;
    }

    @Modified
    void modified(Config c) {
        config = c;
    }

    @Deactivate
    void deactivate() {
        engines.close();
    }

    // --- PubSubHost ---------------------------------------------------------------------------------

    @Override
    public boolean serves(Jid service) {
        return service.local() != null && service.resource() == null && server.hosts(service.domain());
    }

    @Override
    public boolean mayCreate(Jid service, Jid requester) {
        return service.equals(requester.bare());
    }

    @Override
    public Set<Jid> rosterOwners(Jid service, Set<Jid> owners) {
        return Set.of(service);
    }

    @Override
    public boolean isServiceOwner(Jid service, Jid requester) {
        return service.equals(requester.bare());
    }

    @Override
    public boolean autoCreate() {
        return true;
    }

    @Override
    public Map<String, String> defaults(Jid service, String node) {
        Config c = config;
        return Map.of("pubsub#access_model", "presence", "pubsub#send_last_published_item", "on_sub_and_presence",
                "pubsub#max_items", Integer.toString(Math.min(c.default_max_items(), c.max_items())));
    }

    @Override
    public Limits limits() {
        Config c = config;
        return new Limits(c.max_nodes(), c.max_items(), c.max_payload_size());
    }

    @Override
    public Collection<Jid> interested(Jid service, String node, Predicate<Jid> mayRead, Consumer<Collection<Jid>> later) {
        String want = node + "+notify";
        List<Jid> now = new ArrayList<>();
        for (Jid account : audience(service)) {
            for (Session s : sessions.sessions(account)) {
                if (!Presence.isAvailable(s) || !mayRead.test(s.jid())) continue;
                CompletableFuture<Set<String>> f = features(s);
                if (f == null) continue;
                if (f.isDone()) {
                    if (f.getNow(Set.of()).contains(want)) now.add(s.jid());
                } else {
                    Jid jid = s.jid();
                    f.thenAccept(features -> {
                        if (features.contains(want)) later.accept(List.of(jid));
                    });
                }
            }
        }
        return now;
    }

    /** The account and its local contacts who receive its presence (XEP-0163 §4.3.2). */
    private Collection<Jid> audience(Jid account) {
        Set<Jid> out = new LinkedHashSet<>();
        out.add(account);
        Rosters r = rosters;
        if (r == null) return out;
        for (RosterItem i : r.items(account)) {
            if (i.subscription().from() && server.hosts(i.jid().domain())) out.add(i.jid());
        }
        return out;
    }

    // --- AccountDisco -------------------------------------------------------------------------------

    @Override
    public List<Element> identities(Jid account) {
        return List.of(Element.builder("identity", DISCO_INFO).attribute("category", "pubsub").attribute("type", "pep").build());
    }

    @Override
    public List<Element> items(Jid account, String node, Jid requester) throws StanzaException {
        try {
            return engines.require().discoItems(account, node, requester);
        } catch (StanzaException e) {
            if (e.error() == StanzaError.ITEM_NOT_FOUND) return null;
            throw e;
        }
    }

    @Override
    public Element info(Jid account, String node, Jid requester) throws StanzaException {
        try {
            return engines.require().nodeInfo(account, node, requester);
        } catch (StanzaException e) {
            if (e.error() == StanzaError.ITEM_NOT_FOUND) return null;
            throw e;
        }
    }

    // --- capabilities from presence -----------------------------------------------------------------

    /**
     * A client's broadcast presence: keeps what it says of its capabilities and, when the client
     * just became available or asks for other notifications than before, sends it the last items
     * it may now want. Never consumes the presence.
     */
    @Override
    public boolean handle(Element presence, Origin origin) {
        if (!(origin instanceof Session s) || presence.attribute("to") != null) return false;
        if (presence.attribute("type") != null) {
            if ("unavailable".equals(presence.attribute("type"))) s.attribute(SENT, null); // available again later: last items again
            return false;
        }
        Element c = presence.child("c", Caps.NS).orElse(null);
        List<String> said = null;
        if (c != null && c.attribute("ver") != null && c.attribute("node") != null) {
            String hash = c.attribute("hash");
            String ver = c.attribute("ver");
            String key = "sha-1".equalsIgnoreCase(hash) ? "sha-1 " + ver : s.jid() + " " + c.attribute("node") + "#" + ver;
            said = List.of(key, c.attribute("node"), ver, hash == null ? "" : hash);
        }
        s.attribute(CAPS, said);
        String key = said == null ? "" : said.getFirst();
        if (Objects.equals(s.attribute(SENT), key)) return false;
        s.attribute(SENT, key);
        CompletableFuture<Set<String>> f = features(s);
        if (f != null) f.thenAccept(features -> s.execute(() -> sendLastItems(s, features)));
        return false;
    }

    /** The features of a session's capabilities, asked for once per verification string; null when its presence showed none. */
    @SuppressWarnings("unchecked")
    private CompletableFuture<Set<String>> features(Session s) {
        if (!(s.attribute(CAPS) instanceof List<?> said) || said.size() != 4) return null;
        List<String> c = (List<String>) said;
        CompletableFuture<Set<String>> known = caps.get(c.getFirst());
        if (known != null) return known;
        if (caps.size() > MAX_CACHED) caps.clear();
        CompletableFuture<Set<String>> asked = new CompletableFuture<>();
        known = caps.putIfAbsent(c.getFirst(), asked);
        if (known != null) return known;
        ask(s, c, asked);
        return asked;
    }

    private void ask(Session s, List<String> c, CompletableFuture<Set<String>> asked) {
        String key = c.get(0);
        String node = c.get(1) + "#" + c.get(2);
        Element iq = Element.builder("iq", "jabber:client").attribute("type", "get").attribute("from", s.jid().domain()).attribute("to", s.jid().toString())
                .child(Element.builder("query", DISCO_INFO).attribute("node", node).build()).build();
        router.request(iq, Duration.ofSeconds(config.caps_timeout())).whenComplete((answer, failure) -> {
            Element query = failure != null || !"result".equals(answer.attribute("type")) ? null : answer.child("query", DISCO_INFO).orElse(null);
            if (query == null) {
                caps.remove(key, asked); // asked again at the next presence that shows it
                LOG.debug("{} did not tell its capabilities {}: {}", s.jid(), node, failure != null ? failure.toString() : "error");
                asked.complete(Set.of());
                return;
            }
            Set<String> features = new LinkedHashSet<>();
            query.elements().filter(e -> e.is("feature", DISCO_INFO)).map(e -> e.attribute("var")).filter(Objects::nonNull).forEach(features::add);
            if (key.startsWith("sha-1 ") && !Caps.ver(query).equals(c.get(2))) {
                // XEP-0115 §5.4: a string that does not verify is not cached for others; this client keeps its answer
                caps.remove(key, asked);
                String own = s.jid() + " " + node;
                caps.put(own, CompletableFuture.completedFuture(Set.copyOf(features)));
                s.attribute(CAPS, List.of(own, c.get(1), c.get(2), c.get(3)));
                LOG.info("{} showed capabilities {} that do not match its disco#info; kept for it alone", s.jid(), c.get(2));
            }
            asked.complete(Set.copyOf(features));
        });
    }

    /** XEP-0163 §4.3.5: the last item of each node the resource wants and may read, its account's own and its contacts'. */
    private void sendLastItems(Session s, Set<String> features) {
        PubSubEngine engine = engines.get();
        if (!s.isOpen() || features.isEmpty() || engine == null) return;
        Jid account = s.jid().bare();
        List<Jid> services = new ArrayList<>();
        services.add(account);
        Rosters r = rosters;
        if (r != null) {
            for (RosterItem i : r.items(account)) if (i.subscription().to() && server.hosts(i.jid().domain())) services.add(i.jid());
        }
        for (Jid service : services) {
            for (PubSubEngine.Notification n : engine.lastItems(service, s.jid())) {
                if (!features.contains(n.node() + "+notify")) continue;
                router.deliver(Element.builder("message", "jabber:client").attribute("from", service.toString()).attribute("to", s.jid().toString())
                        .attribute("type", "headline").attribute("id", "pep-last-" + Long.toString(System.nanoTime(), 36)).child(n.event()).build(),
                        Origin.of(service, x -> { }));
            }
        }
    }
}
