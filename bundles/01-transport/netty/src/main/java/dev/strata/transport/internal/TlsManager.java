package dev.strata.transport.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;

import org.apache.felix.service.command.Descriptor;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
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

import dev.strata.api.console.ConsoleCommand;
import dev.strata.api.metrics.Metrics;
import dev.strata.api.server.ServerInfo;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.OpenSslSessionTicketKey;
import io.netty.handler.ssl.ReferenceCountedOpenSslContext;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SniHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.internal.tcnative.SSL;
import io.netty.util.Mapping;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;

/**
 * TLS for every hosted domain, on BoringSSL (netty-tcnative) unless configured otherwise or it
 * cannot load, on the JDK's engine then: {@code <certs>/<domain>.crt} and {@code .key} (PEM), generated
 * self-signed (EC P-256) at first start when missing, and optionally {@code <domain>.rsa.crt} and
 * {@code .rsa.key}, an RSA certificate served to clients that cannot verify the first one's key
 * (read from their ClientHello), generated self-signed beside a self-signed EC one; the protocols
 * and forward-secret suites of {@code config/policies/security.cfg}. A certificate replaced on disk is picked up by new
 * connections within seconds, or at once with {@code cert:reload}.
 */
@ConsoleCommand(scope = "cert", function = {"list", "reload"})
@Component(name = "strata.tls", service = TlsManager.class, immediate = true)
@Designate(ocd = TlsManager.Config.class)
public final class TlsManager {
    private static final Logger LOG = LoggerFactory.getLogger(TlsManager.class);

    @ObjectClassDefinition(id = "strata.tls", name = "TLS")
    public @interface Config {
        @AttributeDefinition(description = "TLS protocol versions offered (1.2 and 1.3 only: older ones are broken)",
                options = {@Option(value = "TLSv1.3", label = "TLS 1.3"), @Option(value = "TLSv1.2", label = "TLS 1.2")})
        String[] protocols() default {"TLSv1.3", "TLSv1.2"};

        @AttributeDefinition(description = "Cipher suites offered (TLS 1.3 suites and ECDHE suites for TLS 1.2: forward secrecy only)")
        String[] ciphers() default {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
                "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
                "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"};

        @AttributeDefinition(required = false, description = "Folder of <domain>.crt and <domain>.key PEM files; empty: $STRATA_DATA_PATH/certs")
        String certificates() default "";

        @AttributeDefinition(description = "TLS engine: openssl (BoringSSL through netty-tcnative; the JDK's when it cannot load) or jdk",
                options = {@Option(label = "BoringSSL", value = "openssl"), @Option(label = "JDK", value = "jdk")})
        String provider() default "openssl";

        @AttributeDefinition(min = "0", description = "Minutes a TLS session ticket key encrypts new tickets (RFC 8446 §4.6.1 resumption, "
                + "so a reconnecting client skips the certificate); the previous key still opens tickets for as long again, then is "
                + "forgotten. Keys live in memory only, per domain; 0: no tickets (every connection makes a full handshake)")
        int ticket_key_minutes() default 60;
    }

    /**
     * One certificate of a domain and the server contexts built on it: {@code context} for clients
     * (and for servers not asked for a certificate), {@code peers} for streams other servers open.
     */
    record Identity(Certificates.Kind kind, X509Certificate certificate, SslContext context, SslContext peers) {
        String keyAlgorithm() {
            return certificate.getPublicKey().getAlgorithm();
        }

        void release() {
            ReferenceCountUtil.release(context);
            ReferenceCountUtil.release(peers);
        }
    }

    /**
     * A domain's TLS contexts, with what they were built from: its certificates (the main one first,
     * then an RSA one if there is one: {@link #select} serves each client the first that suits it),
     * and the context this server dials others with (the main certificate).
     */
    record Entry(String domain, List<Identity> identities, SslContext client, String stamp, TicketKeys tickets) {
        Identity select(ClientHelloKeys keys) {
            for (Identity i : identities) if (keys.accepts(i.keyAlgorithm())) return i;
            return identities.getFirst();
        }

        /**
         * Gives the domain's client contexts their current ticket keys (new tickets with the
         * newest). Streams of other servers get none: they live long, and a resumed session would
         * carry a certificate validated once, at its first handshake, into SASL EXTERNAL.
         */
        void applyTickets() {
            if (tickets == null) return;
            OpenSslSessionTicketKey[] keys = tickets.keys();
            for (Identity i : identities) {
                if (i.context().sessionContext() instanceof OpenSslSessionContext o) {
                    o.setTicketKeys(keys);
                    o.setSessionTimeout(tickets.lifetimeSeconds()); // a ticket's lifetime hint: as long as its key encrypts
                }
            }
        }

        void release() {
            identities.forEach(Identity::release);
            ReferenceCountUtil.release(client);
        }
    }

    private volatile ServerInfo server;
    private volatile List<String> domains = List.of();
    private final Config config;
    private final Path dir;
    private volatile Map<String, Entry> entries = Map.of();
    private final SslProvider provider;
    private final ExporterSecrets exporters = new ExporterSecrets();

    @Activate
    public TlsManager(BundleContext context, Config config) throws IOException, GeneralSecurityException {
        this.config = config;
        String data = context.getProperty("strata.data");
        this.dir = config.certificates().isBlank() ? Path.of(data == null ? "data" : data, "certs") : Path.of(config.certificates());
        this.provider = provider(config.provider());
        // certificates load when ServerInfo is bound (bindServer), which DS does right after this constructor
    }

    /**
     * Dynamic: unloading the config module must not take the listeners (and every connection)
     * down; when it comes back, its domains are loaded (certificates generated) at once.
     */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void bindServer(ServerInfo info) {
        server = info;
        try {
            load(true);
        } catch (IOException | GeneralSecurityException e) {
            LOG.error("Cannot load the certificates: {}", e.getMessage());
        }
    }

    void unbindServer(ServerInfo info) {
        if (server == info) server = null;
    }

    private static SslProvider provider(String wanted) {
        if ("jdk".equalsIgnoreCase(wanted)) return SslProvider.JDK;
        if (!"openssl".equalsIgnoreCase(wanted)) LOG.warn("Unknown TLS provider {}: using openssl (or jdk)", wanted);
        if (OpenSsl.isAvailable()) {
            LOG.info("TLS on {}", OpenSsl.versionString());
            return SslProvider.OPENSSL_REFCNT;
        }
        LOG.warn("TLS on the JDK's engine: BoringSSL (netty-tcnative) cannot load here: {}", String.valueOf(OpenSsl.unavailabilityCause()));
        return SslProvider.JDK;
    }

    @Deactivate
    synchronized void deactivate() {
        stopped = true;
        entries.values().forEach(Entry::release);
        entries = Map.of();
    }

    /** (Re)builds every domain's context whose files changed; generates missing certificates when asked. */
    synchronized List<String> load(boolean generate) throws IOException, GeneralSecurityException {
        List<String> changed = new ArrayList<>();
        if (stopped) return changed;
        Map<String, Entry> next = new LinkedHashMap<>();
        ServerInfo s = server;
        if (s != null) domains = s.domains(); // else: the domains last known
        for (String domain : domains) {
            Path crt = Certificates.certFile(dir, domain);
            Path key = Certificates.keyFile(dir, domain);
            if (generate && (!Files.exists(crt) || !Files.exists(key))) {
                Certificates.generateSelfSigned(dir, domain);
                LOG.warn("No certificate for {}: generated a self-signed one in {} (replace it with a real one, e.g. from Let's Encrypt)", domain, crt);
            }
            if (!Files.exists(crt) || !Files.exists(key)) {
                LOG.error("No certificate for {} ({}, {}): TLS connections for it use the default domain's", domain, crt, key);
                continue;
            }
            Path rsaCrt = Certificates.certFile(dir, domain, Certificates.Kind.RSA);
            Path rsaKey = Certificates.keyFile(dir, domain, Certificates.Kind.RSA);
            boolean rsa = Files.exists(rsaCrt) && Files.exists(rsaKey);
            String stamp = Files.getLastModifiedTime(crt).toMillis() + "/" + Files.getLastModifiedTime(key).toMillis()
                    + (rsa ? "/" + Files.getLastModifiedTime(rsaCrt).toMillis() + "/" + Files.getLastModifiedTime(rsaKey).toMillis() : "");
            Entry old = entries.get(domain);
            if (old != null && old.stamp().equals(stamp)) {
                next.put(domain, old);
                continue;
            }
            if (generate && !rsa && isSelfSignedEc(crt)) {
                // beside a self-signed EC certificate (the default), a self-signed RSA one for clients without ECDSA;
                // a real certificate never gets a self-signed companion: its operator adds <domain>.rsa.crt/.key
                generateRsaLater(domain, rsaCrt);
            }
            // new certificates, new ticket keys: a session resumed from an old ticket would carry the old certificate on
            Entry built = build(domain, crt, key, rsa ? rsaCrt : null, rsa ? rsaKey : null, stamp, TicketKeys.create(config.ticket_key_minutes()));
            built.applyTickets();
            next.put(domain, built);
            changed.add(domain);
        }
        Map<String, Entry> previous = entries;
        entries = next;
        // a replaced BoringSSL context is freed once the last connection using it is gone
        previous.forEach((domain, e) -> {
            if (next.get(domain) != e) e.release();
        });
        return changed;
    }

    /** Domains whose RSA certificate is being generated. */
    private final Set<String> generating = ConcurrentHashMap.newKeySet();
    /** Set when the component stops: a late generation loads nothing then. */
    private volatile boolean stopped;

    /**
     * Generates the self-signed RSA pair off the caller's thread (a 2048-bit key takes a few hundred
     * milliseconds, which startup does not wait for), then loads it: until then every client gets
     * the EC certificate.
     */
    private void generateRsaLater(String domain, Path rsaCrt) {
        if (!generating.add(domain)) return;
        Thread.ofVirtual().name("tls-rsa-" + domain).start(() -> {
            try {
                Certificates.generateSelfSigned(dir, domain, Certificates.Kind.RSA);
                LOG.info("Generated a self-signed RSA certificate for {} in {}, for clients that cannot use its EC one", domain, rsaCrt);
                load(false);
            } catch (IOException | GeneralSecurityException | RuntimeException e) {
                LOG.error("Cannot generate an RSA certificate for {}: {}", domain, e.toString());
            } finally {
                generating.remove(domain);
            }
        });
    }

    private static boolean isSelfSignedEc(Path crt) throws IOException, GeneralSecurityException {
        X509Certificate cert = read(crt);
        return "EC".equals(cert.getPublicKey().getAlgorithm()) && Certificates.isSelfSigned(cert);
    }

    private static X509Certificate read(Path crt) throws IOException, GeneralSecurityException {
        try (InputStream in = Files.newInputStream(crt)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    private Entry build(String domain, Path crt, Path key, Path rsaCrt, Path rsaKey, String stamp, TicketKeys tickets)
            throws IOException, GeneralSecurityException {
        List<Identity> identities = new ArrayList<>();
        SslContext client;
        try {
            identities.add(identity(domain, Certificates.Kind.MAIN, crt, key));
            if (rsaCrt != null) {
                // the second certificate is optional: a bad one is reported and left out, the domain keeps its main one
                try {
                    identities.add(identity(domain, Certificates.Kind.RSA, rsaCrt, rsaKey));
                } catch (IOException | GeneralSecurityException | RuntimeException e) {
                    LOG.error("The RSA certificate of {} cannot be used, only its main one is served: {}", domain, e.getMessage());
                }
            }
            client = SslContextBuilder.forClient().keyManager(crt.toFile(), key.toFile()).trustManager(InsecureTrustManagerFactory.INSTANCE).sslProvider(provider)
                    .protocols(config.protocols()).ciphers(Arrays.asList(config.ciphers())).applicationProtocolConfig(ApplicationProtocolConfig.DISABLED).build();
        } catch (SSLException | IllegalArgumentException e) {
            identities.forEach(Identity::release);
            throw new GeneralSecurityException("Cannot use the certificate " + crt + " with its key " + key + ": " + e.getMessage(), e);
        }
        for (Identity i : identities) {
            LOG.info("TLS for {}: {} {} (valid until {})", domain, i.keyAlgorithm(), i.certificate().getSubjectX500Principal().getName(),
                    i.certificate().getNotAfter().toInstant());
        }
        return new Entry(domain, List.copyOf(identities), client, stamp, tickets);
    }

    private Identity identity(String domain, Certificates.Kind kind, Path crt, Path key) throws IOException, GeneralSecurityException {
        X509Certificate cert = read(crt);
        String algorithm = cert.getPublicKey().getAlgorithm();
        if (kind == Certificates.Kind.RSA && !"RSA".equals(algorithm)) {
            // not the kind the file's name promises: serving it would not help the clients it is for
            throw new GeneralSecurityException(crt + " holds a " + algorithm + " key, not an RSA one");
        }
        SslContext ctx = server(crt, key, false);
        SslContext peers;
        try {
            // other servers are asked for their certificate (any is taken here; the stream layer validates it)
            peers = server(crt, key, true);
        } catch (GeneralSecurityException e) {
            ReferenceCountUtil.release(ctx);
            throw e;
        }
        if (ctx instanceof ReferenceCountedOpenSslContext && !exporters.attach(ctx)) {
            LOG.warn("TLS for {}: no tls-exporter channel binding on BoringSSL here (SCRAM-PLUS offers tls-server-end-point only)", domain);
        }
        return new Identity(kind, cert, ctx, peers);
    }

    /** A server context on one certificate; {@code askCertificate}: the peer is asked for one and any is taken. */
    private SslContext server(Path crt, Path key, boolean askCertificate) throws GeneralSecurityException {
        try {
            SslContextBuilder b = SslContextBuilder.forServer(crt.toFile(), key.toFile()).sslProvider(provider).protocols(config.protocols())
                    .ciphers(Arrays.asList(config.ciphers())).applicationProtocolConfig(ApplicationProtocolConfig.DISABLED);
            if (askCertificate) b.clientAuth(ClientAuth.OPTIONAL).trustManager(InsecureTrustManagerFactory.INSTANCE);
            else b.clientAuth(ClientAuth.NONE);
            return b.build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new GeneralSecurityException("Cannot use the certificate " + crt + " with its key " + key + ": " + e.getMessage(), e);
        }
    }

    /**
     * A domain's session ticket keys, random and in memory: the newest encrypts new tickets, the
     * one before it still opens tickets issued under it; rotated every {@code minutes}, so a ticket
     * resumes for at most twice that, and a key taken from memory opens no older session (forward
     * secrecy of TLS 1.3 resumption also rests on its fresh ECDHE, psk_dhe_ke, which BoringSSL uses).
     */
    static final class TicketKeys {
        private static final SecureRandom RANDOM = new SecureRandom();
        private final long periodMillis;
        private volatile OpenSslSessionTicketKey[] keys;
        private volatile long rotatedAt;

        private TicketKeys(long periodMillis) {
            this.periodMillis = periodMillis;
            this.keys = new OpenSslSessionTicketKey[] {newKey()};
            this.rotatedAt = System.currentTimeMillis();
        }

        /** Null when tickets are off (0 minutes) or the engine is not BoringSSL. */
        static TicketKeys create(int minutes) {
            return minutes <= 0 || !OpenSsl.isAvailable() ? null : new TicketKeys(minutes * 60_000L);
        }

        int lifetimeSeconds() {
            return (int) (periodMillis / 1000);
        }

        OpenSslSessionTicketKey[] keys() {
            return keys.clone();
        }

        /** A new key in front, the previous one kept behind it, older ones forgotten; true when it rotated. */
        synchronized boolean rotateIfDue(long now) {
            if (now - rotatedAt < periodMillis) return false;
            keys = new OpenSslSessionTicketKey[] {newKey(), keys[0]};
            rotatedAt = now;
            return true;
        }

        private static OpenSslSessionTicketKey newKey() {
            byte[] name = new byte[OpenSslSessionTicketKey.NAME_SIZE], hmac = new byte[OpenSslSessionTicketKey.HMAC_KEY_SIZE],
                    aes = new byte[OpenSslSessionTicketKey.AES_KEY_SIZE];
            RANDOM.nextBytes(name);
            RANDOM.nextBytes(hmac);
            RANDOM.nextBytes(aes);
            return new OpenSslSessionTicketKey(name, hmac, aes);
        }
    }

    /** Picks up replaced files; called for each new connection at most every few seconds. */
    private volatile long lastCheck;

    private void refreshIfDue() {
        long now = System.currentTimeMillis();
        if (now - lastCheck < 5_000) return;
        lastCheck = now;
        for (Entry e : entries.values()) {
            if (e.tickets() != null && e.tickets().rotateIfDue(now)) e.applyTickets();
        }
        try {
            List<String> changed = load(true);
            if (!changed.isEmpty()) LOG.info("Reloaded certificates for {}", changed);
        } catch (IOException | GeneralSecurityException e) {
            LOG.error("Cannot reload certificates: {}", e.getMessage());
        }
    }

    /** The entry for an SNI host name, falling back to the default (first) domain. */
    Entry entry(String hostname) {
        refreshIfDue();
        Map<String, Entry> e = entries;
        Entry hit = hostname == null ? null : e.get(hostname.toLowerCase(java.util.Locale.ROOT));
        if (hit != null) return hit;
        if (e.isEmpty()) throw new IllegalStateException("No certificate for any domain in " + dir);
        return e.values().iterator().next();
    }

    /** Handshakes completed, full or resumed ({@code strata_tls_handshakes_total{kind}}), while the metrics module is loaded. */
    private volatile Metrics.Counter handshakes;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void bindMetrics(Metrics m) {
        handshakes = m.counter("strata_tls_handshakes", "TLS handshakes completed on the client and server listeners: full, or resumed "
                + "from a session ticket (a reconnecting client skips the certificate and its checks)", "kind");
    }

    void unbindMetrics(Metrics m) {
        handshakes = null;
    }

    /** Counts a handshake this server completed as the server, full or resumed (BoringSSL only tells; the JDK's engine counts as full). */
    void handshakeDone(SSLEngine engine) {
        Metrics.Counter c = handshakes;
        if (c == null) return;
        c.inc(engine instanceof ReferenceCountedOpenSslEngine o && SSL.isSessionReused(o.sslPointer()) ? "resumed" : "full");
    }

    /** Where the BoringSSL engine's {@code tls-exporter} channel bindings come from. */
    ExporterSecrets exporters() {
        return exporters;
    }

    /**
     * The handler that starts TLS on an accepted connection: it reads the ClientHello, picks the
     * context with {@link #select} (SNI, then the certificate whose key the client can verify),
     * and puts the context's TLS handler in its place. {@code peers}: a stream another server
     * opens, asked for its certificate, which the handshake takes whatever it is; the stream layer
     * validates it (PKIX, RFC 6125) and decides what the peer may do without a valid one.
     */
    SniHandler handler(boolean peers, long handshakeMillis) {
        return new SniHandler((Mapping<String, SslContext>) hostname -> select(hostname, ClientHelloKeys.ANY, peers), handshakeMillis) {
            private ClientHelloKeys keys = ClientHelloKeys.ANY;

            @Override
            protected Future<SslContext> lookup(ChannelHandlerContext ctx, ByteBuf clientHello) throws Exception {
                if (clientHello != null) keys = ClientHelloKeys.of(clientHello);
                return super.lookup(ctx, clientHello); // reads SNI, then calls the one below
            }

            @Override
            protected Future<SslContext> lookup(ChannelHandlerContext ctx, String hostname) {
                return ctx.executor().newSucceededFuture(select(hostname, keys, peers));
            }
        };
    }

    /**
     * The server context for a ClientHello: the domain's by SNI (else the default domain's), with
     * the first of its certificates whose key the client can verify; {@code peers} for streams
     * other servers open.
     */
    SslContext select(String hostname, ClientHelloKeys keys, boolean peers) {
        Identity i = entry(hostname).select(keys);
        return peers ? i.peers() : i.context();
    }

    /**
     * The context this server dials another with, as {@code domain} (its certificate is offered to
     * the peer). It trusts any certificate: the stream layer validates the peer's chain and names
     * itself (RFC 6125) and decides what a connection without a valid one may do (dialback).
     */
    SslContext client(String domain) {
        return entry(domain).client();
    }

    // --- console ------------------------------------------------------------------------------

    @Descriptor("List the certificates in use, per domain")
    public String list() {
        StringBuilder sb = new StringBuilder();
        for (Entry e : entries.values()) {
            for (Identity i : e.identities()) {
                X509Certificate c = i.certificate();
                sb.append(e.domain()).append("  ").append(i.keyAlgorithm()).append("  ").append(c.getSubjectX500Principal().getName()).append("  issuer ")
                        .append(c.getIssuerX500Principal().getName()).append("  until ").append(c.getNotAfter().toInstant()).append("  ")
                        .append(Certificates.certFile(dir, e.domain(), i.kind())).append('\n');
            }
        }
        return sb.isEmpty() ? "No certificates" : sb.toString().stripTrailing();
    }

    @Descriptor("Re-read the certificate files now; new connections use them")
    public String reload() throws IOException, GeneralSecurityException {
        lastCheck = System.currentTimeMillis();
        List<String> changed = load(true);
        return changed.isEmpty() ? "No certificate changed" : "Reloaded: " + String.join(", ", changed);
    }
}
