package dev.strata.transport.internal;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
import dev.strata.api.server.ServerInfo;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.ReferenceCountedOpenSslContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.Mapping;
import io.netty.util.ReferenceCountUtil;

/**
 * TLS for every hosted domain, on BoringSSL (netty-tcnative) unless configured otherwise or it
 * cannot load, on the JDK's engine then: {@code <certs>/<domain>.crt} and {@code .key} (PEM), generated
 * self-signed at first start when missing; the protocols and forward-secret suites of
 * {@code config/policies/security.cfg}. A certificate replaced on disk is picked up by new
 * connections within seconds, or at once with {@code cert:reload}.
 */
@ConsoleCommand(scope = "cert", function = {"list", "reload"})
@Component(name = "strata.tls", service = TlsManager.class, immediate = true)
@Designate(ocd = TlsManager.Config.class)
public final class TlsManager implements Mapping<String, SslContext> {
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
    }

    /** A domain's TLS context, with what it was built from. */
    record Entry(String domain, SslContext context, SslContext peers, SslContext client, X509Certificate certificate, byte[] endPointHash, long certModified,
                 long keyModified) {
        void release() {
            ReferenceCountUtil.release(context);
            ReferenceCountUtil.release(peers);
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
        entries.values().forEach(Entry::release);
        entries = Map.of();
    }

    /** (Re)builds every domain's context whose files changed; generates missing certificates when asked. */
    synchronized List<String> load(boolean generate) throws IOException, GeneralSecurityException {
        List<String> changed = new ArrayList<>();
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
            long cm = Files.getLastModifiedTime(crt).toMillis();
            long km = Files.getLastModifiedTime(key).toMillis();
            Entry old = entries.get(domain);
            if (old != null && old.certModified() == cm && old.keyModified() == km) {
                next.put(domain, old);
                continue;
            }
            next.put(domain, build(domain, crt.toFile(), key.toFile(), cm, km));
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

    private Entry build(String domain, File crt, File key, long cm, long km) throws IOException, GeneralSecurityException {
        X509Certificate cert;
        try (InputStream in = Files.newInputStream(crt.toPath())) {
            cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        SslContext ctx, peers, client;
        try {
            ctx = SslContextBuilder.forServer(crt, key).sslProvider(provider).protocols(config.protocols())
                    .ciphers(Arrays.asList(config.ciphers())).clientAuth(ClientAuth.NONE)
                    .applicationProtocolConfig(ApplicationProtocolConfig.DISABLED).build();
            // other servers are asked for their certificate (any is taken here; the stream layer validates it)
            peers = SslContextBuilder.forServer(crt, key).sslProvider(provider).protocols(config.protocols())
                    .ciphers(Arrays.asList(config.ciphers())).clientAuth(ClientAuth.OPTIONAL).trustManager(InsecureTrustManagerFactory.INSTANCE)
                    .applicationProtocolConfig(ApplicationProtocolConfig.DISABLED).build();
            client = SslContextBuilder.forClient().keyManager(crt, key).trustManager(InsecureTrustManagerFactory.INSTANCE).sslProvider(provider)
                    .protocols(config.protocols()).ciphers(Arrays.asList(config.ciphers())).applicationProtocolConfig(ApplicationProtocolConfig.DISABLED).build();
            if (ctx instanceof ReferenceCountedOpenSslContext && !exporters.attach(ctx)) {
                LOG.warn("TLS for {}: no tls-exporter channel binding on BoringSSL here (SCRAM-PLUS offers tls-server-end-point only)", domain);
            }
        } catch (SSLException | IllegalArgumentException e) {
            throw new GeneralSecurityException("Cannot use the certificate " + crt + " with its key " + key + ": " + e.getMessage(), e);
        }
        LOG.info("TLS for {}: {} (valid until {})", domain, cert.getSubjectX500Principal().getName(), cert.getNotAfter().toInstant());
        return new Entry(domain, ctx, peers, client, cert, Certificates.endPointHash(cert), cm, km);
    }

    /** Picks up replaced files; called for each new connection at most every few seconds. */
    private volatile long lastCheck;

    private void refreshIfDue() {
        long now = System.currentTimeMillis();
        if (now - lastCheck < 5_000) return;
        lastCheck = now;
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

    /** Where the BoringSSL engine's {@code tls-exporter} channel bindings come from. */
    ExporterSecrets exporters() {
        return exporters;
    }

    @Override
    public SslContext map(String hostname) {
        return entry(hostname).context();
    }

    /**
     * The contexts for streams other servers open (SNI picks the domain): as {@link #map}, but the
     * peer is asked for its certificate, which the handshake takes whatever it is; the stream layer
     * validates it (PKIX, RFC 6125) and decides what the peer may do without a valid one.
     */
    Mapping<String, SslContext> peers() {
        return peers;
    }

    private final Mapping<String, SslContext> peers = hostname -> entry(hostname).peers();

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
            sb.append(e.domain()).append("  ").append(e.certificate().getSubjectX500Principal().getName()).append("  issuer ")
                    .append(e.certificate().getIssuerX500Principal().getName()).append("  until ")
                    .append(e.certificate().getNotAfter().toInstant()).append("  ").append(Certificates.certFile(dir, e.domain())).append('\n');
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
