package dev.strata.s2s;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Hashtable;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.Jid;
import org.apache.felix.service.command.Descriptor;

import dev.strata.api.console.ConsoleCommand;
import dev.strata.api.module.StanzaHook;
import dev.strata.api.server.ServerInfo;
import dev.strata.api.stanza.Origin;
import dev.strata.api.stanza.RemoteRouter;
import dev.strata.api.stanza.Router;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.transport.Connection;
import dev.strata.api.transport.Dialer;
import dev.strata.api.transport.Dns;
import dev.strata.api.transport.StreamHandler;
import dev.strata.api.transport.StreamHandlerFactory;
import dev.strata.api.xml.Element;

/**
 * Server-to-server federation (RFC 6120 with XEP-0220 dialback): the stream layer of the listeners
 * of kind {@code s2s} ({@link InboundStream}) and the streams this server opens to others
 * ({@link OutboundStream}, one per pair of local and remote domain), with stanzas queued while one
 * is set up and bounced when it cannot be. It registers the {@link RemoteRouter} the router hands
 * every stanza for another server's domain, and the listeners' {@link StreamHandlerFactory}, itself
 * (not as Declarative Services services: the router binds the first, and nothing the router binds
 * may reference the router through DS).
 */
@ConsoleCommand(scope = "s2s", function = {"list", "close", "check"})
@Component(name = "strata.s2s", service = ServerStreams.class, immediate = true, configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = ServerStreams.Config.class)
public final class ServerStreams implements RemoteRouter {
    private static final Logger LOG = LoggerFactory.getLogger(ServerStreams.class);

    @ObjectClassDefinition(id = "strata.s2s", name = "Server-to-server federation")
    public @interface Config {
        @AttributeDefinition(required = false, description = "Where other servers listen, before DNS: domain=host:port (tls:host:port for direct "
                + "TLS, XEP-0368); several entries for one domain are tried in order")
        String[] hosts() default {};

        @AttributeDefinition(description = "Whether server streams must be encrypted (STARTTLS or direct TLS) both ways")
        boolean require_encryption() default true;

        @AttributeDefinition(required = false, description = "Domains this server does not federate with (stanzas to them bounce with "
                + "not-allowed, their streams are refused)")
        String[] deny() default {};

        @AttributeDefinition(required = false, description = "When not empty, the only domains this server federates with")
        String[] allow() default {};

        @AttributeDefinition(required = false, type = org.osgi.service.metatype.annotations.AttributeType.PASSWORD,
                description = "The secret of this server's dialback keys (XEP-0220 §2.4); empty: a random one at each start")
        String dialback_secret() default "";

        @AttributeDefinition(min = "1", max = "120", description = "Seconds to connect to one address of a remote server")
        int connect_timeout() default 10;

        @AttributeDefinition(min = "5", max = "600", description = "Seconds an outbound stream may take from the first connection to being "
                + "authenticated; then its queued stanzas bounce with remote-server-timeout")
        int setup_timeout() default 30;

        @AttributeDefinition(min = "1", description = "Stanzas queued for one remote domain while its stream is set up (more bounce with "
                + "resource-constraint)")
        int max_queued() default 1000;

        @AttributeDefinition(required = false, description = "Certificate authorities trusted for other servers' certificates besides the "
                + "system's: a PEM file, or a directory of .pem/.crt files (relative paths from the server's home)")
        String trust_store() default "";

        @AttributeDefinition(description = "Whether the system's certificate authorities (the JDK's cacerts) are trusted for other servers")
        boolean system_trust() default true;

        @AttributeDefinition(description = "Whether every other server must present a certificate that validates for its domain (PKIX, "
                + "RFC 6125); off: dialback authenticates those that do not, as Prosody's and ejabberd's defaults do")
        boolean require_valid_certificate() default false;

        @AttributeDefinition(required = false, description = "Domains that must present a valid certificate even when "
                + "require.valid.certificate is off (no dialback without one)")
        String[] secure_domains() default {};

        @AttributeDefinition(min = "0", description = "Stanzas per second taken from one remote domain at most, over all its streams "
                + "(after a burst of as many); above it, its streams are read more slowly (nothing is dropped); 0: no bound")
        int max_stanzas_per_second() default 10_000;

        @AttributeDefinition(required = false, description = "Other bounds for some domains: domain=stanzas per second (0: none)")
        String[] domain_rates() default {};
    }

    final Config config;
    private final Router router;
    private final ServerInfo server;
    private final Dialer dialer;
    final Dialback dialback;
    final Resolver resolver;
    final PeerCertificates certificates;
    private final Set<String> deny, allow, secure;
    private final Map<String, Integer> domainRates;
    /** Remote domain to the bound of what its streams deliver here. */
    private final Map<String, StanzaRate> rates = new ConcurrentHashMap<>();
    /** "local remote" to the stream this server opened for that pair. */
    private final Map<String, OutboundStream> outbound = new ConcurrentHashMap<>();
    final Set<InboundStream> inbound = ConcurrentHashMap.newKeySet();
    /** XEP-0288: "local remote" to the peer's stream that carries this server's stanzas to it as well. */
    private final Map<String, InboundStream> bidirectional = new ConcurrentHashMap<>();
    final ExecutorService connecting = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("strata-s2s-connect-", 0).factory());
    final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "strata-s2s-timers"));
    private final List<ServiceRegistration<?>> registrations = new java.util.ArrayList<>();
    private volatile boolean stopping;

    @Activate
    public ServerStreams(BundleContext context, Config config, @Reference Router router, @Reference ServerInfo server, @Reference Dialer dialer,
                         @Reference Dns dns) throws java.io.IOException, java.security.GeneralSecurityException {
        this(config, router, server, dialer, dns, PeerCertificates.load(config.system_trust(), trustStore(context, config)));
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(StreamHandlerFactory.LISTENER, "s2s");
        registrations.add(context.registerService(StreamHandlerFactory.class, (StreamHandlerFactory) this::accept, props));
        registrations.add(context.registerService(RemoteRouter.class, this, null));
        LOG.info("Server-to-server federation on ({}; dialback, encryption {})", allow.isEmpty() ? "with any domain" : "with " + allow,
                config.require_encryption() ? "required" : "optional");
    }

    private static java.nio.file.Path trustStore(BundleContext context, Config config) {
        if (config.trust_store().isBlank()) return null;
        java.nio.file.Path p = java.nio.file.Path.of(config.trust_store().strip());
        String home = context.getProperty("strata.home");
        return p.isAbsolute() || home == null ? p : java.nio.file.Path.of(home).resolve(p);
    }

    ServerStreams(Config config, Router router, ServerInfo server, Dialer dialer, Dns dns, PeerCertificates certificates) {
        this.config = config;
        this.router = router;
        this.server = server;
        this.dialer = dialer;
        String secret = config.dialback_secret();
        if (secret.isBlank()) {
            byte[] bits = new byte[32];
            new SecureRandom().nextBytes(bits);
            secret = HexFormat.of().formatHex(bits);
        }
        this.dialback = new Dialback(secret);
        this.resolver = new Resolver(Resolver.parse(config.hosts()), dns);
        this.certificates = certificates;
        this.secure = lower(config.secure_domains());
        this.domainRates = StanzaRate.parse(config.domain_rates());
        this.deny = lower(config.deny());
        this.allow = lower(config.allow());
    }

    private static Set<String> lower(String[] domains) {
        Set<String> s = new java.util.HashSet<>();
        for (String d : domains == null ? new String[0] : domains) if (!d.isBlank()) s.add(d.strip().toLowerCase(Locale.ROOT));
        return Set.copyOf(s);
    }

    @Deactivate
    void deactivate() {
        stopping = true;
        for (ServiceRegistration<?> r : registrations) {
            try {
                r.unregister();
            } catch (IllegalStateException gone) {
                // the bundle is stopping and took it already
            }
        }
        for (OutboundStream o : outbound.values()) o.shutdown("the server-to-server module stopped");
        for (InboundStream i : inbound) i.shutdown();
        connecting.shutdownNow();
        timers.shutdownNow();
    }

    private StreamHandler accept(Connection connection) {
        return new InboundStream(connection, this);
    }

    // --- policy -------------------------------------------------------------------------------------

    /**
     * Whether this server hosts {@code domain} or may serve it (a service on a subdomain of a hosted
     * domain, conference.example.org): streams to it are ours to answer, the router finds the service.
     */
    boolean serves(String domain) {
        if (server.hosts(domain)) return true;
        for (String d : server.domains()) if (domain.endsWith("." + d)) return true;
        return false;
    }

    /** Why this server does not federate with {@code domain}, or null when it does. */
    String refusal(String domain) {
        if (deny.contains(domain)) return "This server does not federate with " + domain + " (strata.s2s deny)";
        if (!allow.isEmpty() && !allow.contains(domain)) return "This server federates only with the domains it allows (strata.s2s allow)";
        if (serves(domain)) return domain + " is this server's own";
        return null;
    }

    /** Why {@code conn}'s peer certificate is not good for {@code domain}, or null when it is (PKIX: a stream asks once per domain, {@link InboundStream}). */
    String certificateProblem(Connection conn, String domain) {
        if (!conn.isSecure()) return "the stream is not encrypted";
        return certificates.problem(conn.peerCertificates(), domain);
    }

    /** Whether {@code domain} may authenticate only with a valid certificate (no dialback without one). */
    boolean needsValidCertificate(String domain) {
        return config.require_valid_certificate() || secure.contains(domain);
    }

    /** Waits until {@code domain} may deliver one more stanza here (called on the stream's own worker: reading slows down behind it). */
    void pace(String domain) throws InterruptedException {
        int limit = domainRates.getOrDefault(domain, config.max_stanzas_per_second());
        if (limit <= 0) return;
        rates.computeIfAbsent(domain, d -> new StanzaRate(limit)).acquire();
    }

    // --- outbound -----------------------------------------------------------------------------------

    /** The router hands over a stanza to another server's domain ({@code to}, 'from' stamped). */
    @Override
    public void route(Element stanza, Origin from) {
        Jid to = Jid.of(stanza.attribute("to"));
        String remote = to.domain();
        // the stanza's own 'from' (a server answering for an account, a reply to another server) or its sender's
        String local = stanza.attribute("from") != null ? Jid.of(stanza.attribute("from")).domain() : from.jid() == null ? null : from.jid().domain();
        if (local == null || !serves(local)) {
            bounce(stanza, from, StanzaError.NOT_ALLOWED, "Only this server's own addresses send to other servers");
            return;
        }
        String refused = refusal(remote);
        if (refused != null) {
            bounce(stanza, from, StanzaError.NOT_ALLOWED, refused);
            return;
        }
        if (stopping) {
            bounce(stanza, from, StanzaError.REMOTE_SERVER_TIMEOUT, "The server is stopping its federation");
            return;
        }
        String pair = local + " " + remote;
        InboundStream peers = bidirectional.get(pair);
        if (peers != null) {
            peers.send(stanza);
            return;
        }
        outbound.computeIfAbsent(pair, k -> new OutboundStream(this, dialer, local, remote)).send(stanza, from);
    }

    /** XEP-0288: the peer's stream {@code s} carries this server's stanzas for {@code pair} ("local remote"). */
    void bidi(String pair, InboundStream s) {
        bidirectional.put(pair, s);
        LOG.info("Server-to-server stream {} -> {} ready (bidirectional, over the peer's stream {})", pair.substring(0, pair.indexOf(' ')),
                pair.substring(pair.indexOf(' ') + 1), s);
    }

    void bidiGone(InboundStream s) {
        bidirectional.values().removeIf(v -> v == s);
    }

    /** The stream from {@code local} to {@code remote}, made (not yet connected) when there is none. */
    OutboundStream stream(String local, String remote) {
        return outbound.computeIfAbsent(local + " " + remote, k -> new OutboundStream(this, dialer, local, remote));
    }

    /** An outbound stream ended for good: the next stanza for its pair makes a new one. */
    void gone(OutboundStream s) {
        outbound.remove(s.local + " " + s.remote, s);
    }

    /**
     * XEP-0220 §2.3: asks the authoritative server of {@code originating} (over this server's stream
     * to it) whether {@code key} is the key it made for the stream {@code streamId} it opened to
     * {@code receiving}.
     */
    CompletionStage<Boolean> verify(String receiving, String originating, String streamId, String key) {
        if (stopping) return CompletableFuture.failedFuture(new IllegalStateException("stopping"));
        return stream(receiving, originating).verify(streamId, key);
    }

    // --- inbound ------------------------------------------------------------------------------------

    /** Its 'from' and 'to', for a stanza between servers. */
    record Addresses(Jid from, Jid to) {
    }

    /** A stanza's 'from' and 'to' as JIDs; the reason for an {@code improper-addressing} stream error when they are not both there and valid. */
    static Addresses addresses(Element stanza) {
        String from = stanza.attribute("from"), to = stanza.attribute("to");
        if (from == null || to == null) throw new IllegalArgumentException("Stanzas between servers need both 'from' and 'to'");
        try {
            return new Addresses(Jid.of(from), Jid.of(to));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("A stanza's 'from' or 'to' is not a JID: " + e.getMessage(), e);
        }
    }

    /** A stanza an authenticated peer sent on {@code intake}'s stream: delivered in order, at most at its domain's rate. */
    void take(dev.strata.api.transport.OrderedIntake intake, Element stanza, Jid from) {
        intake.submit(() -> {
            try {
                pace(from.domain());
                deliver(stanza, from);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                LOG.error("Delivering a stanza from {} failed", from, e);
            }
        });
    }

    /** A stanza from an authenticated peer: delivered as if sent here, its errors and answers back over federation. */
    void deliver(Element stanza, Jid from) {
        Origin origin = Origin.of(from, reply -> {
            if (reply.attribute("from") != null && reply.attribute("to") != null) route(reply, Origin.of(Jid.of(reply.attribute("from")), x -> { }));
        });
        // subscriptions and probes are the presence module's inbound side (RFC 6121 §3, §4.3) before anything is delivered
        if (stanza.name().equals("presence") && router.hook(StanzaHook.PRESENCE, stanza, origin)) return;
        String type = stanza.attribute("type");
        if (stanza.name().equals("iq") && ("get".equals(type) || "set".equals(type)) && Jid.of(stanza.attribute("to")).isBare()) {
            router.route(stanza, origin); // to the server or an account's bare JID: the server answers (ping, disco, vCard, PEP)
            return;
        }
        router.deliver(stanza, origin);
    }

    static void bounce(Element stanza, Origin from, StanzaError error, String text) {
        String type = stanza.attribute("type");
        if ("error".equals(type) || "result".equals(type)) return;
        if (stanza.name().equals("presence") && !"probe".equals(type) && !"subscribe".equals(type)) return; // RFC 6121: presence errors are not needed
        from.send(error.replyTo(stanza, text, false));
    }

    /** {@code s2s:check [DOMAIN]}: DNS, TLS and the certificate of a domain as other servers see them; without one, of each hosted domain. */
    @Descriptor("Check a domain as another server sees it (SRV records, TLS, certificate; clients' too for this server's domains): each of this server's domains, or those given")
    public String check(@Descriptor("a domain (default: this server's)") String... domain) {
        FederationCheck check = new FederationCheck(this, dialer);
        StringBuilder sb = new StringBuilder();
        for (String d : domain.length > 0 ? java.util.Arrays.asList(domain) : new java.util.ArrayList<>(server.domains())) {
            String name = d.strip().toLowerCase(Locale.ROOT);
            sb.append(check.check(name, server.hosts(name))); // this server's own domains: the clients' records and ports too
        }
        return sb.toString();
    }

    /** {@code s2s:close DOMAIN}: ends every stream to and from {@code domain} (what waits to go out bounces); the next stanza opens a new one. */
    @Descriptor("Close the server-to-server streams to and from a domain")
    public String close(@Descriptor("the other server's domain") String domain) {
        String d = domain.strip().toLowerCase(Locale.ROOT);
        int n = 0;
        for (OutboundStream o : outbound.values()) {
            if (o.remote.equals(d)) {
                o.shutdown("closed by an operator (s2s:close)");
                n++;
            }
        }
        for (InboundStream i : inbound) {
            if (i.from(d)) {
                i.fail(dev.strata.api.stanza.StreamError.POLICY_VIOLATION, "Closed by an operator of this server");
                n++;
            }
        }
        return n == 0 ? "No server-to-server stream with " + d + "\n" : "Closed " + n + " stream" + (n == 1 ? "" : "s") + " with " + d + "\n";
    }

    /** {@code s2s:list}: the server-to-server streams in each direction, their state and what waits on them. */
    @Descriptor("List the server-to-server streams: outbound (this server's) and inbound (other servers')")
    public String list() {
        StringBuilder sb = new StringBuilder();
        for (OutboundStream o : outbound.values()) sb.append("out ").append(o).append('\n');
        for (InboundStream i : inbound) sb.append("in  ").append(i).append('\n');
        return sb.isEmpty() ? "No server-to-server streams\n" : sb.toString();
    }
}
