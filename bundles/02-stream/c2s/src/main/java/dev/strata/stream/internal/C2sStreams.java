package dev.strata.stream.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.felix.service.command.Descriptor;
import org.osgi.framework.Bundle;
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
import org.osgi.service.metatype.annotations.Option;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.Jid;
import dev.strata.api.console.ConsoleCommand;
import dev.strata.api.metrics.Metrics;
import dev.strata.api.module.SessionFilter;
import dev.strata.api.module.SessionLifecycle;
import dev.strata.api.server.ServerInfo;
import dev.strata.api.storage.ArchiveStore;
import dev.strata.api.storage.SqlDatabase;
import dev.strata.api.stanza.Router;
import dev.strata.api.stanza.Session;
import dev.strata.api.stanza.SessionRegistry;
import dev.strata.api.stanza.StreamError;
import dev.strata.api.stream.StreamFeature;
import dev.strata.api.transport.Connection;
import dev.strata.api.transport.StreamHandler;
import dev.strata.api.transport.StreamHandlerFactory;

/**
 * Client streams: creates one {@link C2sStream} per connection, binds their sessions in the
 * {@link SessionRegistry}, and offers {@code session:list|kick}. Storage, router, registry and
 * server settings are dynamic references, so reloading those modules does not close a single stream.
 */
@ConsoleCommand(scope = "session", function = {"list", "kick"})
@Component(name = "strata.stream.c2s", service = {StreamHandlerFactory.class, C2sStreams.class}, property = StreamHandlerFactory.LISTENER + "=c2s")
@Designate(ocd = C2sStreams.Config.class)
public final class C2sStreams implements StreamHandlerFactory {
    private static final Logger LOG = LoggerFactory.getLogger(C2sStreams.class);

    @ObjectClassDefinition(id = "strata.stream.c2s", name = "Client streams")
    public @interface Config {
        @AttributeDefinition(description = "Refuse authentication before STARTTLS (RFC 6120 §5)")
        boolean tls_required() default true;

        @AttributeDefinition(description = "Offer SASL PLAIN (only ever over TLS)")
        boolean plain_allowed() default true;

        @AttributeDefinition(description = "When a resource is bound twice: replace the old session (conflict stream error) or reject the new one",
                options = {@Option(value = "replace", label = "replace"), @Option(value = "reject", label = "reject")})
        String resource_conflict() default "replace";

        @AttributeDefinition(min = "1", description = "Resources one account may bind at once; one more gets resource-constraint (RFC 6120 §7.6.2.2)")
        int max_resources_per_account() default 50;

        @AttributeDefinition(min = "0", max = "3600", description = "Seconds a connection has to finish negotiation (TLS, authentication, resource binding) "
                + "before it is closed with policy-violation; 0: no deadline")
        int negotiation_timeout() default 60;

        @AttributeDefinition(min = "2", max = "5", description = "Failed attempts allowed on one stream before it is closed (RFC 6120 §6.4.5)")
        int auth_retries() default 5;

        @AttributeDefinition(description = "After a client failed a -PLUS mechanism on a stream for want of a channel binding type this server has "
                + "(slixmpp 1.8 knows only tls-unique, which TLS 1.3 lacks), accept its SCRAM with gs2 flag y on that stream. Lets such clients "
                + "log in; an active man in the middle holding a certificate the client trusts could fake that failed attempt and so pass a "
                + "downgrade it would otherwise be refused: set false where no such client is used")
        boolean channel_binding_fallback() default true;

        @AttributeDefinition(description = "XEP-0474: SCRAM's server-first-message carries 'h', a hash of the mechanisms and channel-binding types "
                + "advertised, so a client that knows XEP-0474 detects a man in the middle who removed some; clients that do not ignore it")
        boolean scram_downgrade_protection() default true;

        @AttributeDefinition(min = "0", max = "10000", description = "Milliseconds a failed authentication waits before its answer")
        int auth_failure_delay_ms() default 1000;
    }

    private volatile Config config;


    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile ServerInfo server;


    private volatile SessionRegistry registry;

    /**
     * The sessions this layer holds, whatever the registry: the registry is an index of them. When a
     * registry comes (its module reloaded, or a clustered one took over), every live session is bound
     * in it again, so a reload of the router bundle loses no session.
     */
    private final Set<ClientSession> live = ConcurrentHashMap.newKeySet();

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void setRegistry(SessionRegistry r) {
        registry = r;
        int n = 0;
        for (ClientSession s : live) {
            if (s.isOpen()) {
                r.bind(s, SessionRegistry.ConflictPolicy.REPLACE);
                n++;
            }
        }
        if (n > 0) LOG.info("{} sessions bound in the new session registry", n);
    }

    void unsetRegistry(SessionRegistry r) {
        if (registry == r) registry = null;
    }

    /** A session was bound in {@code used}; it is kept, and bound in the current registry too if that changed meanwhile. */
    void bound(ClientSession s, SessionRegistry used) {
        live.add(s);
        // replaced by a concurrent bind of its resource between its bind and this call: that bind's
        // unbound(s) may have run before the add above, so this one takes it out again (or a later
        // registry would be handed a session that lost its JID, and it would take the JID back)
        if (s.released) {
            live.remove(s);
            return;
        }
        SessionRegistry now = registry;
        if (now != null && now != used) now.bind(s, SessionRegistry.ConflictPolicy.REPLACE);
    }

    /** The session no longer holds its JID here (replaced or ended); it never comes back into {@link #live}. */
    void unbound(ClientSession s) {
        s.released = true;
        live.remove(s);
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile Router router;

    /** For {@link #durable()}: modules' writes that did not wait for the disk (the archive's). */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile SqlDatabase database;

    /** For {@link #durable()}: the archive writes its appends behind, in batches. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile ArchiveStore archive;

    /** Per-session filters, highest service.ranking first. */
    private volatile List<SessionFilter> sessionFilters = List.of();
    private final Map<SessionFilter, Integer> filterRanks = new ConcurrentHashMap<>();

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void addSessionFilter(SessionFilter filter, Map<String, Object> props) {
        filterRanks.put(filter, props.get("service.ranking") instanceof Integer i ? i : 0);
        rankFilters();
    }

    void removeSessionFilter(SessionFilter filter) {
        filterRanks.remove(filter);
        rankFilters();
    }

    private synchronized void rankFilters() {
        List<SessionFilter> list = new ArrayList<>(filterRanks.keySet());
        list.sort(Comparator.comparingInt((SessionFilter f) -> filterRanks.getOrDefault(f, 0)).reversed());
        sessionFilters = List.copyOf(list);
    }

    List<SessionFilter> sessionFilters() {
        return sessionFilters;
    }

    private final List<SessionLifecycle> lifecycles = new CopyOnWriteArrayList<>();

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void addLifecycle(SessionLifecycle l) {
        lifecycles.add(l);
    }

    void removeLifecycle(SessionLifecycle l) {
        lifecycles.remove(l);
    }

    /** How long to keep a session whose connection went: the longest any lifecycle asks for. */
    Duration keepDetached(Session session, String reason) {
        Duration keep = Duration.ZERO;
        for (SessionLifecycle l : lifecycles) {
            try {
                Duration d = l.detached(session, reason);
                if (d != null && d.compareTo(keep) > 0) keep = d;
            } catch (RuntimeException e) {
                LOG.error("Session lifecycle {} failed on {}", l.getClass().getName(), session.jid(), e);
            }
        }
        return keep;
    }

    void ended(Session session, String reason) {
        for (SessionLifecycle l : lifecycles) {
            try {
                l.ended(session, reason);
            } catch (RuntimeException e) {
                LOG.error("Session lifecycle {} failed on the end of {}", l.getClass().getName(), session.jid(), e);
            }
        }
    }

    /** Stream features (SASL and binding among them), by the namespace of their negotiation elements, offered in that order. */
    private final Map<String, StreamFeature> features = new ConcurrentSkipListMap<>();

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void addFeature(StreamFeature feature, Map<String, Object> props) {
        if (props.get(StreamFeature.NAMESPACE) instanceof String ns) {
            features.put(ns, feature);
        } else {
            LOG.warn("Stream feature {} has no {} property; ignored", feature.getClass().getName(), StreamFeature.NAMESPACE);
        }
        switch (props.get(StreamFeature.PRE_AUTH_IQ)) {
            case String iqNs -> negotiationIqs.put(iqNs, feature);
            case String[] iqNss -> {
                for (String iqNs : iqNss) negotiationIqs.put(iqNs, feature);
            }
            case null, default -> { }
        }
    }

    void removeFeature(StreamFeature feature, Map<String, Object> props) {
        features.values().remove(feature);
        negotiationIqs.values().remove(feature);
    }

    /** Features that answer IQs of these payload namespaces before a resource is bound. */
    private final Map<String, StreamFeature> negotiationIqs = new ConcurrentHashMap<>();

    StreamFeature negotiationIq(String namespace) {
        return negotiationIqs.get(namespace);
    }

    Map<String, StreamFeature> features() {
        return features;
    }

    private final Events events;

    private final BundleContext context;

    /** What this layer records into the server's metrics; nothing while the metrics module is not loaded. */
    private volatile C2sMetrics metrics = C2sMetrics.NONE;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void bindMetrics(Metrics m) {
        C2sMetrics old = metrics;
        metrics = new C2sMetrics(m, () -> live);
        old.close();
    }

    void unbindMetrics(Metrics m) {
        C2sMetrics old = metrics;
        metrics = C2sMetrics.NONE;
        old.close();
    }

    C2sMetrics metrics() {
        return metrics;
    }

    @Activate
    public C2sStreams(Config config, @Reference Events events, BundleContext context) {
        this.config = config;
        this.events = events;
        this.context = context;
    }

    @Modified
    void modified(Config c) {
        config = c;
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        // the framework stopping is a server shutdown; otherwise an admin unloaded or reloaded this module
        boolean shutdown = context != null && context.getBundle(0).getState() == Bundle.STOPPING;
        String why = shutdown ? "The server is shutting down" : "The client stream module is stopping (module:unload or module:reload stream-c2s)";
        stopping = why;
        metrics.close();
        for (ClientSession s : live) s.close(StreamError.SYSTEM_SHUTDOWN, why);
        // sessions end on their workers; wait (a little) so what their clients never acknowledged is
        // routed on (to offline storage) while routing and storage still run: at shutdown this
        // bundle stops before them (start level 4)
        long deadline = System.nanoTime() + 5_000_000_000L;
        while ((!live.isEmpty() || ending.get() > 0) && System.nanoTime() < deadline) Thread.sleep(20);
        if (!live.isEmpty() || ending.get() > 0) LOG.warn("{} sessions had not ended 5 s after the client stream module began stopping", live.size() + ending.get());
    }

    private volatile String stopping;

    /** Why this module is stopping, once it is (a session then ends rather than wait for a connection); null before. */
    String stopping() {
        return stopping;
    }

    /** Sessions in the middle of ending (re-routing what their clients never acknowledged). */
    private final AtomicInteger ending = new AtomicInteger();

    void ending(int delta) {
        ending.addAndGet(delta);
    }

    @Override
    public StreamHandler create(Connection connection) {
        return new C2sStream(this, connection);
    }

    Config config() {
        return config;
    }


    Router router() {
        return router;
    }

    /**
     * Completes once every write committed so far is durable, those modules made without waiting
     * (SqlDatabase#transactionWithoutWaiting) included, and the archive's appends written behind
     * before them (ArchiveStore#written): what a stream waits for before it acknowledges the
     * stanzas that caused them.
     */
    CompletionStage<Void> durable() {
        SqlDatabase db = database;
        ArchiveStore a = archive;
        CompletableFuture<Void> written = a == null ? DONE : a.written().toCompletableFuture();
        if (db == null) return written;
        if (written.isDone() && !written.isCompletedExceptionally()) return db.durable();
        return written.thenCompose(ok -> db.durable());
    }

    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    SessionRegistry registry() {
        return registry;
    }

    SessionRegistry.ConflictPolicy conflictPolicy() {
        return "replace".equals(config.resource_conflict()) ? SessionRegistry.ConflictPolicy.REPLACE : SessionRegistry.ConflictPolicy.REJECT;
    }

    String defaultDomain() {
        ServerInfo s = server;
        return s == null || s.domains().isEmpty() ? "localhost" : s.domains().getFirst();
    }

    boolean hosts(String domain) {
        ServerInfo s = server;
        return s != null && s.hosts(domain);
    }

    void event(String topic, Map<String, String> properties) {
        events.post(topic, properties);
    }


    @Descriptor("List the bound client sessions")
    public String list() {
        List<ClientSession> all = new ArrayList<>(live);
        all.sort(Comparator.comparing(s -> s.jid().toString()));
        StringBuilder sb = new StringBuilder(all.size() + " sessions");
        for (ClientSession s : all) sb.append('\n').append(s.jid()).append("  ").append(s.remoteAddress()).append("  ").append(s.streamInfo());
        return sb.toString();
    }

    @Descriptor("Close the sessions of a full JID, or all sessions of a bare JID")
    public String kick(@Descriptor("JID") String who) {
        Jid jid = Jid.of(who);
        List<Session> victims = live.stream().filter(s -> jid.isBare() ? s.jid().bare().equals(jid) : s.jid().equals(jid)).map(Session.class::cast).toList();
        if (victims.isEmpty()) throw new IllegalArgumentException("No session for " + jid);
        for (Session s : victims) s.close(StreamError.POLICY_VIOLATION, "Disconnected by an administrator");
        LOG.info("Kicked {} session(s) of {}", victims.size(), jid);
        return "Closed " + victims.size() + " session(s)";
    }
}
