package dev.strata.s2s;

import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.strata.api.transport.Connection;
import dev.strata.api.transport.Dialer;
import dev.strata.api.transport.StreamHandler;
import dev.strata.api.transport.StreamHeader;
import dev.strata.api.xml.Element;
import dev.strata.api.xml.XmlEvent;
import dev.strata.api.xml.XmlException;

/**
 * {@code s2s:check}: what another server sees of a domain, as {@code prosodyctl check dns} and
 * {@code check certs} tell. The domain is resolved as for a stream (SRV records, or the domain on
 * 5269; for clients, their records or 5222), each place is connected to, TLS is started (STARTTLS or direct), and the certificate
 * presented there is validated for the domain (PKIX to the trusted authorities, RFC 6125 names),
 * with what the server offers after TLS (SASL EXTERNAL, dialback, bidirectional streams). Lines
 * that start with {@code problem:} are what keeps other servers from federating, or from trusting
 * the domain's certificate.
 */
final class FederationCheck {
    private final ServerStreams s2s;
    private final Dialer dialer;

    FederationCheck(ServerStreams s2s, Dialer dialer) {
        this.s2s = s2s;
        this.dialer = dialer;
    }

    /** Servers' view of {@code domain}; with {@code clients}, clients' too (their SRV records, TLS and certificate on the client ports). */
    String check(String domain, boolean clients) {
        StringBuilder out = new StringBuilder(domain).append('\n');
        try {
            places(domain, s2s.resolver.targets(domain), StreamHeader.SERVER, "server", out);
        } catch (Resolver.NoService e) {
            out.append("  problem: ").append(e.getMessage()).append('\n');
        }
        if (clients) {
            try {
                places(domain, s2s.resolver.clientTargets(domain), StreamHeader.CLIENT, "client", out);
            } catch (Resolver.NoService e) {
                out.append("  problem: ").append(e.getMessage()).append('\n');
            }
        }
        return out.toString();
    }

    private void places(String domain, List<Resolver.Target> targets, String namespace, String kind, StringBuilder out) {
        out.append("  ").append(kind).append("s connect to, in order: ").append(targets).append('\n');
        int good = 0;
        for (Resolver.Target t : targets) {
            List<InetSocketAddress> addresses;
            try {
                addresses = s2s.resolver.addresses(t);
            } catch (java.net.UnknownHostException e) {
                out.append("  problem: ").append(t).append(": no address (").append(e.getMessage()).append(")\n");
                continue;
            }
            for (InetSocketAddress a : addresses) {
                String result = probe(domain, t, a, namespace);
                out.append("  ").append(result).append('\n');
                if (!result.startsWith("problem")) good++;
            }
        }
        if (good == 0) out.append("  problem: no place of ").append(domain).append(" takes a ").append(kind).append(" stream with a valid certificate\n");
    }

    /** One connection: header, TLS, the certificate and the features after it; then closed. */
    private String probe(String domain, Resolver.Target t, InetSocketAddress a, String namespace) {
        CompletableFuture<String> answer = new CompletableFuture<>();
        String where = t.host() + " " + a.getAddress().getHostAddress() + ":" + a.getPort() + (t.directTls() ? " (direct TLS)" : "");
        int seconds = s2s.config.connect_timeout();
        try {
            dialer.dial(a, t.directTls(), domain, domain, seconds * 1000, c -> new Probe(c, domain, where, namespace, answer)).toCompletableFuture()
                    .get(seconds + 1L, TimeUnit.SECONDS);
            return answer.get(seconds + 5L, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "problem: " + where + ": interrupted";
        } catch (java.util.concurrent.ExecutionException e) {
            return "problem: " + where + ": cannot connect (" + (e.getCause() == null ? e : e.getCause().getMessage()) + ")";
        } catch (java.util.concurrent.TimeoutException e) {
            return "problem: " + where + ": no answer within " + seconds + " s";
        }
    }

    /** The initiating side of a stream, up to the features after TLS. The header names no 'from': a check, not a peer. */
    private final class Probe implements StreamHandler {
        private final Connection conn;
        private final String domain, where, namespace;
        private final CompletableFuture<String> answer;

        Probe(Connection conn, String domain, String where, String namespace, CompletableFuture<String> answer) {
            this.conn = conn;
            this.domain = domain;
            this.where = where;
            this.namespace = namespace;
            this.answer = answer;
            conn.openStream(header(), List.of());
        }

        private StreamHeader header() {
            return new StreamHeader(null, null, namespace, domain);
        }

        @Override
        public void opened(XmlEvent.StreamOpen open) {
        }

        @Override
        public void element(Element e) {
            if (e.is("features", OutboundStream.STREAMS)) {
                if (!conn.isSecure() && e.child("starttls", OutboundStream.TLS).isPresent()) {
                    conn.write(Element.of("starttls", OutboundStream.TLS), StreamHeader.SERVER);
                    return;
                }
                if (!conn.isSecure()) {
                    finish("problem: " + where + ": offers no TLS");
                    return;
                }
                List<X509Certificate> chain = conn.peerCertificates();
                String problem = s2s.certificates.problem(chain, domain);
                String offers = (e.child("mechanisms", OutboundStream.SASL).isPresent() ? "SASL " : "")
                        + (e.child("dialback", Dialback.FEATURE).isPresent() ? "dialback " : "")
                        + (e.child("bidi", OutboundStream.BIDI_FEATURE).isPresent() ? "bidi " : "")
                        + (e.child("authentication", "urn:xmpp:sasl:2").isPresent() ? "SASL2 " : "");
                String tls = conn.tlsProtocol().orElse("TLS");
                finish(problem == null
                        ? "ok: " + where + ", " + tls + ", certificate valid for " + domain + " (" + PeerCertificates.names(chain.getFirst()) + ", issued by "
                                + chain.getFirst().getIssuerX500Principal().getName() + ", until " + chain.getFirst().getNotAfter().toInstant() + "), offers "
                                + (offers.isBlank() ? "nothing" : offers.strip())
                        : "problem: " + where + ", " + tls + ": " + problem);
            } else if (e.is("proceed", OutboundStream.TLS)) {
                conn.startTlsAsClient(domain, domain, () -> conn.openStream(header(), List.of()));
            } else if (e.is("error", OutboundStream.STREAMS)) {
                finish("problem: " + where + ": stream error " + e.firstChild().map(Element::name).orElse("?"));
            }
        }

        private void finish(String result) {
            if (answer.complete(result)) conn.closeStream(header());
        }

        @Override
        public void closed() {
            answer.complete("problem: " + where + ": the stream closed before TLS");
        }

        @Override
        public void failed(XmlException error) {
            answer.complete("problem: " + where + ": " + error.getMessage());
            conn.close();
        }

        @Override
        public void disconnected(String reason) {
            answer.complete("problem: " + where + ": " + reason);
        }

        @Override
        public void idle() {
            conn.close();
        }
    }
}
