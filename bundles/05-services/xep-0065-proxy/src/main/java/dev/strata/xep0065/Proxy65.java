package dev.strata.xep0065;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.InvalidJidException;
import dev.strata.api.Jid;
import dev.strata.api.server.ServerInfo;
import dev.strata.api.stanza.DomainService;
import dev.strata.api.stanza.Iq;
import dev.strata.api.stanza.Router;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.transport.Bytestream;
import dev.strata.api.transport.BytestreamBroker;
import dev.strata.api.xml.Element;

/**
 * XEP-0065 SOCKS5 Bytestreams 1.8.2, the proxy (mediated connections, §6) on {@code proxy.<domain>}
 * for every hosted domain: clients discover it in the domain's disco#items, ask it for its network
 * address (§6.3.1), both parties connect to the server's {@code socks5} listener with the
 * bytestream's hash, and the initiator activates it (§6.3.5), after which the transport relays the
 * bytes. The listener's port is {@code config/stack/01-transport/strata.listener~proxy65.cfg}; what
 * the proxy tells clients to connect to is {@code address} and {@code port} here.
 */
@Component(name = "strata.xep0065", service = {BytestreamBroker.class, Proxy65.class}, immediate = true)
@Designate(ocd = Proxy65.Config.class)
public final class Proxy65 implements BytestreamBroker {
    private static final Logger LOG = LoggerFactory.getLogger(Proxy65.class);
    static final String NS = "http://jabber.org/protocol/bytestreams";
    static final String DISCO_INFO = "http://jabber.org/protocol/disco#info", DISCO_ITEMS = "http://jabber.org/protocol/disco#items", PING = "urn:xmpp:ping";
    /** A bytestream's hash: SHA1, hex (§5.3.2). */
    private static final Pattern HASH = Pattern.compile("[0-9a-fA-F]{40}");

    @ObjectClassDefinition(id = "strata.xep0065", name = "XEP-0065 SOCKS5 Bytestreams proxy")
    @interface Config {
        @AttributeDefinition(description = "The proxy's domain is this label, a dot and each domain the server hosts (proxy.example.org)")
        String host() default "proxy";

        @AttributeDefinition(description = "The proxy's name in service discovery")
        String name() default "SOCKS5 Bytestreams Service";

        @AttributeDefinition(description = "Host name or IP address clients connect to for the proxy's listener ({domain}: the hosted domain "
                + "the proxy belongs to); it must reach the socks5 listener from wherever clients are")
        String address() default "{domain}";

        @AttributeDefinition(min = "1", max = "65535", description = "Port clients connect to: the socks5 listener's (strata.listener~proxy65.cfg)")
        int port() default 7777;

        @AttributeDefinition(description = "Who may use the proxy", options = {@Option(value = "local", label = "accounts of this server"),
                @Option(value = "anyone", label = "anyone, from any server")})
        String access() default "local";

        @AttributeDefinition(min = "0", description = "Bytes per second each way of one bytestream at most; 0: no bound")
        long max_bytes_per_second() default 10L * 1024 * 1024;

        @AttributeDefinition(min = "1", max = "3600", description = "Seconds a connection may wait for its bytestream's activation")
        int activation_timeout() default 60;

        @AttributeDefinition(min = "1", description = "Bytestreams one account may have activated at once")
        int max_streams_per_account() default 10;
    }

    /** The connections of a bytestream not activated yet: the target's, then the initiator's. */
    private static final class Waiting {
        Bytestream first, second;
        ScheduledFuture<?> timeout;

        Waiting(Bytestream first) {
            this.first = first;
        }
    }

    private final Router router;
    private final Config config;
    private final List<String> domains;
    private final Map<String, Waiting> waiting = new ConcurrentHashMap<>();
    private final Map<Jid, AtomicInteger> active = new ConcurrentHashMap<>();
    private final AtomicInteger relaying = new AtomicInteger();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "strata-proxy65-timeouts"));
    private DomainService.Registration registration;

    @Activate
    public Proxy65(BundleContext context, Config config, @Reference Router router, @Reference ServerInfo server) {
        this(config, router, server);
        this.registration = DomainService.register(context, domains, config.name(), service());
        LOG.info("SOCKS5 bytestream proxy on {}, reached at {}:{}", domains, config.address(), config.port());
    }

    /** The service on the proxy's domains. */
    DomainService service() {
        return DomainService.answeringIqs(router, "a SOCKS5 bytestream proxy (XEP-0065)", iq -> answer(iq, iq.to()));
    }

    Proxy65(Config config, Router router, ServerInfo server) {
        this.router = router;
        this.config = config;
        this.domains = server.domains().stream().map(d -> config.host() + "." + d).toList();
    }

    @Deactivate
    void deactivate() {
        if (registration != null) registration.close();
        timer.shutdownNow();
        // connections waiting for activation close with the transport's socks5 kind; relaying ones go on
    }

    // --- the transport's side ----------------------------------------------------------------------

    @Override
    public String offer(Bytestream connection) {
        String hash = connection.hash().toLowerCase(java.util.Locale.ROOT);
        if (!HASH.matcher(hash).matches()) return "'" + connection.hash() + "' is not a bytestream's hash (SHA1(SID + initiator JID + target JID) in hex)";
        String[] refusal = {null};
        waiting.compute(hash, (h, w) -> {
            if (w == null) {
                w = new Waiting(connection);
                Waiting mine = w;
                w.timeout = timer.schedule(() -> expire(h, mine), config.activation_timeout(), TimeUnit.SECONDS);
                return w;
            }
            if (w.second != null) {
                refusal[0] = "two connections already wait for bytestream " + h;
                return w;
            }
            w.second = connection;
            return w;
        });
        if (refusal[0] != null) return refusal[0];
        connection.closed().thenRun(() -> gone(hash, connection));
        LOG.debug("SOCKS5 connection from {} waits for bytestream {}", connection.remoteAddress(), hash);
        return null;
    }

    private void expire(String hash, Waiting w) {
        if (!waiting.remove(hash, w)) return;
        LOG.info("Bytestream {} was not activated within {} s; its connections are closed", hash, config.activation_timeout());
        w.first.close();
        if (w.second != null) w.second.close();
    }

    /** A waiting connection closed: its bytestream waits for it no more. */
    private void gone(String hash, Bytestream connection) {
        waiting.computeIfPresent(hash, (h, w) -> {
            if (w.second == connection) {
                w.second = null;
                return w;
            }
            if (w.first != connection) return w;
            if (w.second == null) {
                w.timeout.cancel(false);
                return null;
            }
            w.first = w.second;
            w.second = null;
            return w;
        });
    }

    // --- XMPP ---------------------------------------------------------------------------------------

    private Element answer(Iq iq, Jid proxy) throws StanzaException {
        String ns = iq.namespace();
        boolean get = iq.type() == Iq.Type.GET;
        Element payload = iq.payload();
        if (get && ns.equals(DISCO_INFO) && payload.attribute("node") == null) {
            Element.Builder q = Element.builder("query", DISCO_INFO)
                    .child(Element.builder("identity", DISCO_INFO).attribute("category", "proxy").attribute("type", "bytestreams")
                            .attribute("name", config.name()).build());
            for (String f : List.of(DISCO_INFO, DISCO_ITEMS, NS, PING)) q.child(Element.builder("feature", DISCO_INFO).attribute("var", f).build());
            return q.build();
        }
        if (get && ns.equals(DISCO_ITEMS) && payload.attribute("node") == null) return Element.of("query", DISCO_ITEMS);
        if (ns.equals(PING)) return null;
        if (payload.is("query", NS)) {
            allowed(iq.from());
            if (get) return Element.builder("query", NS).child(streamhost(proxy)).build();
            Element activate = payload.child("activate", NS).orElse(null);
            if (activate != null) {
                activate(iq.from(), payload.attribute("sid"), activate.text());
                return null;
            }
            throw new StanzaException(StanzaError.BAD_REQUEST, "A set to the proxy activates a bytestream: <query sid='...'><activate>target JID</activate></query>");
        }
        throw new StanzaException(StanzaError.SERVICE_UNAVAILABLE, proxy + " does not answer " + (ns.isEmpty() ? "this" : ns) + " " + iq.type().value());
    }

    /** §6.3.1: where the proxy is reached. */
    Element streamhost(Jid proxy) {
        String hosted = proxy.domain().substring(config.host().length() + 1);
        return Element.builder("streamhost", NS).attribute("jid", proxy.domain()).attribute("host", config.address().replace("{domain}", hosted))
                .attribute("port", Integer.toString(config.port())).build();
    }

    /** §6.3.1: forbidden for those the proxy does not serve. */
    private void allowed(Jid requester) throws StanzaException {
        if (config.access().equals("anyone")) return;
        if (requester == null || requester.local() == null || !domains.contains(config.host() + "." + requester.domain())) {
            throw new StanzaException(StanzaError.FORBIDDEN, "This proxy serves the accounts of this server only");
        }
    }

    /** §6.3.5: pairs the two connections of SHA1(sid + initiator + target). */
    void activate(Jid initiator, String sid, String target) throws StanzaException {
        if (sid == null || sid.isEmpty()) throw new StanzaException(StanzaError.BAD_REQUEST, "The activation needs the bytestream's sid");
        if (sid.length() > 128) throw new StanzaException(StanzaError.BAD_REQUEST, "A bytestream's sid has fewer than 128 characters (XEP-0065 §2)");
        Jid targetJid;
        try {
            targetJid = Jid.of(target == null ? "" : target.strip());
        } catch (InvalidJidException e) {
            throw new StanzaException(StanzaError.JID_MALFORMED, "<activate/> must hold the target's JID: " + e.getMessage());
        }
        String hash = hash(sid, initiator, targetJid);
        Jid account = initiator.bare();
        AtomicInteger mine = active.computeIfAbsent(account, k -> new AtomicInteger());
        if (mine.incrementAndGet() > config.max_streams_per_account()) {
            release(account);
            throw new StanzaException(StanzaError.RESOURCE_CONSTRAINT, account + " has " + config.max_streams_per_account()
                    + " bytestreams through this proxy already, the most it may have at once");
        }
        // both connections there: the bytestream is taken from the waiting ones in the same step
        boolean[] known = {false};
        Waiting[] taken = {null};
        waiting.computeIfPresent(hash, (h, w) -> {
            known[0] = true;
            if (w.second == null) return w;
            taken[0] = w;
            return null;
        });
        if (taken[0] == null) {
            release(account);
            if (!known[0]) {
                throw new StanzaException(StanzaError.ITEM_NOT_FOUND, "No connection waits for bytestream " + sid + " from " + initiator + " to "
                        + targetJid + " (both parties connect to the proxy with SHA1(sid + initiator JID + target JID) before the activation)");
            }
            throw new StanzaException(StanzaError.NOT_ALLOWED, "Only one party of bytestream " + sid + " is connected to the proxy");
        }
        Waiting w = taken[0];
        Bytestream a, b;
        w.timeout.cancel(false);
        a = w.first;
        b = w.second;
        try {
            a.relay(b, config.max_bytes_per_second());
        } catch (IllegalStateException e) {
            release(account);
            a.close();
            b.close();
            throw new StanzaException(StanzaError.NOT_ALLOWED, "A party of bytestream " + sid + " left before its activation");
        }
        relaying.incrementAndGet();
        LOG.info("Bytestream {} from {} to {} activated ({} and {})", sid, initiator, targetJid, a.remoteAddress(), b.remoteAddress());
        a.closed().runAfterBoth(b.closed(), () -> {
            relaying.decrementAndGet();
            release(account);
            LOG.info("Bytestream {} from {} to {} ended: {} bytes relayed ({} and {} each way)", sid, initiator, targetJid, a.bytesRelayed() + b.bytesRelayed(),
                    a.bytesRelayed(), b.bytesRelayed());
        });
    }

    private void release(Jid account) {
        active.computeIfPresent(account, (k, v) -> v.decrementAndGet() <= 0 ? null : v);
    }

    /** SHA1(SID + Initiator JID + Target JID) in hex (§5.3.2), the JIDs prepared. */
    static String hash(String sid, Jid initiator, Jid target) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-1").digest((sid + initiator + target).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Bytestreams waiting for activation, and relaying: for the console. */
    int[] counts() {
        return new int[] {waiting.size(), relaying.get()};
    }
}
