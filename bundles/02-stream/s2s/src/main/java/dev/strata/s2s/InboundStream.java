package dev.strata.s2s;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.Jid;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StreamError;
import dev.strata.api.transport.Connection;
import dev.strata.api.transport.OrderedIntake;
import dev.strata.api.transport.StreamHandler;
import dev.strata.api.transport.StreamHeader;
import dev.strata.api.xml.Element;
import dev.strata.api.xml.XmlEvent;
import dev.strata.api.xml.XmlException;

/**
 * A stream another server opened to this one (RFC 6120 as the receiving entity): its header must be
 * in {@code jabber:server} and name one of our domains; we offer STARTTLS (required unless
 * {@code require.encryption} is off), then dialback (XEP-0220). A {@code <db:result/>} is checked
 * with the originating domain's authoritative server over our own stream to it, and answered valid
 * or invalid; each pair of domains so authenticated (several may share one stream) may then send
 * stanzas, which are delivered in the order they came on a worker of the stream's own. As the
 * authoritative server, this stream answers {@code <db:verify/>} questions about our own keys.
 */
final class InboundStream implements StreamHandler {
    private static final Logger LOG = LoggerFactory.getLogger(InboundStream.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Connection conn;
    private final ServerStreams s2s;
    private volatile String id;
    /** The domain of ours the header named, and the peer's (its 'from', a hint until dialback). */
    private volatile String local, peer;
    /** "local remote" pairs authenticated on this stream. */
    private final Set<String> authenticated = ConcurrentHashMap.newKeySet();
    private final OrderedIntake intake;
    private volatile boolean done;
    /** The domain SASL EXTERNAL authenticated (RFC 6120 §6, XEP-0178), once it did: the stream restarted and offers no SASL again. */
    private volatile String external;
    /** Domain to why the peer's certificate is not good for it (empty: it is): validated once per domain, the chain fixed by the handshake. */
    private final Map<String, Optional<String>> certificates = new ConcurrentHashMap<>();
    /** Whether this stream offered SASL EXTERNAL (the peer's certificate validated for its domain). */
    private volatile boolean offeredExternal;
    /** Stanzas taken from and sent to the peer ({@code s2s:list}). */
    private final java.util.concurrent.atomic.LongAdder in = new java.util.concurrent.atomic.LongAdder(), out = new java.util.concurrent.atomic.LongAdder();
    /** XEP-0288: the peer asked for a bidirectional stream: this server sends to it over this stream too. */
    private volatile boolean bidi;

    InboundStream(Connection conn, ServerStreams s2s) {
        this.conn = conn;
        this.s2s = s2s;
        this.intake = new OrderedIntake(conn, "strata-s2s-in " + conn.remoteAddress());
        s2s.inbound.add(this);
    }

    private static String newId() {
        byte[] bits = new byte[12];
        RANDOM.nextBytes(bits);
        return HexFormat.of().formatHex(bits);
    }

    private StreamHeader header() {
        return new StreamHeader(local, id, StreamHeader.SERVER, peer);
    }

    @Override
    public void opened(XmlEvent.StreamOpen open) {
        id = newId(); // each stream, and each restart after TLS, gets a new id (RFC 6120 §4.7.3)
        String ns = open.namespaces().getOrDefault("", "");
        String to = lower(open.header().attribute("to"));
        peer = lower(open.header().attribute("from"));
        if (!StreamHeader.SERVER.equals(ns)) {
            fail(StreamError.INVALID_NAMESPACE, "This port takes server streams (xmlns='" + StreamHeader.SERVER + "'), not '" + ns + "'");
            return;
        }
        if (to == null || !s2s.serves(to)) {
            fail(StreamError.HOST_UNKNOWN, (to == null ? "The stream header names no domain" : to + " is not served here"));
            return;
        }
        local = to;
        String refused = peer == null ? null : s2s.refusal(peer);
        if (refused != null) {
            fail(StreamError.POLICY_VIOLATION, refused);
            return;
        }
        if (external != null && !external.equals(peer)) {
            fail(StreamError.INVALID_FROM, "The stream restarted after SASL for " + external + ", not " + peer);
            return;
        }
        boolean tlsRequired = s2s.config.require_encryption();
        if (!conn.isSecure() && conn.byteStream()) {
            Element.Builder starttls = Element.builder("starttls", OutboundStream.TLS);
            if (tlsRequired) starttls.child(Element.of("required", OutboundStream.TLS));
            conn.openStream(header(), List.of(starttls.build(), dialbackFeature()));
        } else if (external == null && peer != null && conn.isSecure() && certificateProblem(peer) == null) {
            // XEP-0178 §3: the peer's certificate validates for the domain its header names: it may authenticate with it
            offeredExternal = true;
            conn.openStream(header(), List.of(Element.builder("mechanisms", OutboundStream.SASL)
                    .child(Element.builder("mechanism", OutboundStream.SASL).text("EXTERNAL").build()).build(), dialbackFeature(), bidiFeature()));
        } else {
            conn.openStream(header(), external == null ? List.of(dialbackFeature(), bidiFeature()) : List.of(dialbackFeature()));
        }
    }

    /** RFC 6120 §6.4 with XEP-0178: SASL EXTERNAL, the peer's certificate standing for the domain it names. */
    private void auth(Element e) {
        if (!"EXTERNAL".equals(e.attribute("mechanism"))) {
            saslFailure("invalid-mechanism", "Server streams authenticate with EXTERNAL (or dialback)");
            return;
        }
        if (!offeredExternal || external != null) {
            saslFailure("not-authorized", external != null ? "Already authenticated" : "SASL EXTERNAL was not offered on this stream");
            return;
        }
        String text = e.text().strip(), authzid;
        if (text.isEmpty() || text.equals("=")) {
            authzid = peer;
        } else {
            try {
                authzid = new String(java.util.Base64.getDecoder().decode(text), java.nio.charset.StandardCharsets.UTF_8).strip().toLowerCase(Locale.ROOT);
            } catch (IllegalArgumentException bad) {
                saslFailure("incorrect-encoding", "The authorization identity is not base64");
                return;
            }
        }
        if (authzid == null || authzid.isEmpty()) {
            saslFailure("invalid-authzid", "No domain to authenticate: the stream header has no 'from' and the request no identity");
            return;
        }
        String refused = s2s.refusal(authzid);
        if (refused != null) {
            saslFailure("not-authorized", refused);
            return;
        }
        String problem = certificateProblem(authzid);
        if (problem != null) {
            saslFailure(authzid.equals(peer) ? "not-authorized" : "invalid-authzid", "Not " + authzid + ": " + problem);
            return;
        }
        external = authzid;
        authenticated(local + " " + authzid);
        LOG.info("Server-to-server stream {} -> {} from {}: SASL EXTERNAL ({})", authzid, local, conn.remoteAddress(), conn.tlsProtocol().orElse("?"));
        conn.write(Element.of("success", OutboundStream.SASL), StreamHeader.SERVER);
        conn.resetStream(); // the peer's next bytes are a new stream header
    }

    private void saslFailure(String condition, String text) {
        LOG.info("Server stream from {} ({}): SASL EXTERNAL refused: {}", conn.remoteAddress(), peer, text);
        conn.write(Element.builder("failure", OutboundStream.SASL).child(Element.of(condition, OutboundStream.SASL))
                .child(Element.builder("text", OutboundStream.SASL).text(text).build()).build(), StreamHeader.SERVER);
    }

    /** XEP-0288 §2: offered before authentication, on an encrypted stream. */
    private static Element bidiFeature() {
        return Element.of("bidi", OutboundStream.BIDI_FEATURE);
    }

    private static Element dialbackFeature() {
        return Element.builder("dialback", Dialback.FEATURE).child(Element.of("errors", Dialback.FEATURE)).build();
    }

    @Override
    public void element(Element e) {
        if (done) return;
        if (e.is("starttls", OutboundStream.TLS)) {
            if (conn.isSecure()) {
                fail(StreamError.POLICY_VIOLATION, "TLS is on already");
                return;
            }
            conn.startTls(Element.of("proceed", OutboundStream.TLS), () -> { });
            return;
        }
        if (e.is("error", OutboundStream.STREAMS)) {
            // RFC 6120 §4.9: the peer ends the stream with an error; its closing tag follows
            LOG.info("Server stream from {} ({} -> {}) ended by the peer: {}", conn.remoteAddress(), peer, local,
                    e.elements().filter(x -> !x.name().equals("text")).map(Element::name).findFirst().orElse("stream error"));
            done = true;
            conn.closeStream(header());
            return;
        }
        if (e.is("auth", OutboundStream.SASL)) {
            auth(e);
            return;
        }
        if (e.is("bidi", OutboundStream.BIDI)) {
            // XEP-0288 §2: stanzas to the peer's domains go over this stream once they are authenticated
            bidi = true;
            for (String pair : authenticated) s2s.bidi(pair, this);
            return;
        }
        if (e.is("result", Dialback.NS)) {
            result(e);
            return;
        }
        if (e.is("verify", Dialback.NS)) {
            verify(e);
            return;
        }
        stanza(e);
    }

    /** XEP-0220 §2.2: a peer asks to send for its domain; its authoritative server is asked about the key. */
    private void result(Element e) {
        String from = lower(e.attribute("from")), to = lower(e.attribute("to")), key = e.text();
        if (from == null || to == null || key.isBlank()) {
            fail(StreamError.IMPROPER_ADDRESSING, "A dialback request needs 'from', 'to' and the key");
            return;
        }
        if (s2s.config.require_encryption() && !conn.isSecure()) {
            fail(StreamError.POLICY_VIOLATION, "Encryption is required: STARTTLS first");
            return;
        }
        if (!s2s.serves(to)) {
            conn.write(Dialback.toXml(dialbackError(to, from, StanzaError.ITEM_NOT_FOUND, to + " is not served here")));
            return;
        }
        String refused = s2s.refusal(from);
        if (refused != null) {
            conn.write(Dialback.toXml(dialbackError(to, from, StanzaError.POLICY_VIOLATION, refused)));
            return;
        }
        if (s2s.needsValidCertificate(from)) {
            String problem = certificateProblem(from);
            if (problem != null) {
                LOG.info("Dialback for {} -> {} from {} refused: {} must present a valid certificate here: {}", from, to, conn.remoteAddress(), from, problem);
                conn.write(Dialback.toXml(dialbackError(to, from, StanzaError.NOT_AUTHORIZED, from + " must present a valid certificate here: " + problem)));
                return;
            }
        }
        String streamId = id;
        s2s.verify(to, from, streamId, key).whenComplete((valid, failure) -> {
            if (done) return;
            if (failure != null) {
                LOG.warn("Dialback for {} -> {} from {}: its authoritative server could not be asked: {}", from, to, conn.remoteAddress(), failure.getMessage());
                conn.write(Dialback.toXml(dialbackError(to, from, StanzaError.REMOTE_SERVER_NOT_FOUND, "Could not reach " + from + " to check the key")));
                return;
            }
            if (valid) authenticated(to + " " + from);
            LOG.info("Server-to-server stream {} -> {} from {}: dialback {}", from, to, conn.remoteAddress(), valid ? "valid" : "INVALID");
            conn.write(Dialback.toXml(Element.builder("result", Dialback.NS).attribute("from", to).attribute("to", from)
                    .attribute("type", valid ? "valid" : "invalid").build()));
        });
    }

    private static Element dialbackError(String from, String to, StanzaError condition, String text) {
        return Element.builder("result", Dialback.NS).attribute("from", from).attribute("to", to).attribute("type", "error")
                .child(Element.builder("error", StreamHeader.SERVER).attribute("type", "cancel")
                        .child(Element.of(condition.condition(), StanzaError.NS))
                        .child(Element.builder("text", StanzaError.NS).text(text).build()).build())
                .build();
    }

    /** XEP-0220 §2.3: as the authoritative server, whether a key is one of ours. */
    private void verify(Element e) {
        String from = lower(e.attribute("from")), to = lower(e.attribute("to")), streamId = e.attribute("id");
        if (from == null || to == null || streamId == null) {
            fail(StreamError.IMPROPER_ADDRESSING, "A dialback verification needs 'from', 'to' and 'id'");
            return;
        }
        boolean valid = s2s.serves(to) && s2s.dialback.valid(from, to, streamId, e.text());
        conn.write(Dialback.toXml(Element.builder("verify", Dialback.NS).attribute("from", to).attribute("to", from).attribute("id", streamId)
                .attribute("type", valid ? "valid" : "invalid").build()));
    }

    /** A stanza from an authenticated domain pair: delivered as the server's own, in order. */
    private void stanza(Element element) {
        Element stanza = toClient(element);
        if (!stanza.name().equals("message") && !stanza.name().equals("presence") && !stanza.name().equals("iq")) {
            fail(StreamError.UNSUPPORTED_STANZA_TYPE, "<" + element.name() + "/> is not a stanza");
            return;
        }
        ServerStreams.Addresses addresses;
        try {
            addresses = ServerStreams.addresses(stanza);
        } catch (IllegalArgumentException e) {
            fail(StreamError.IMPROPER_ADDRESSING, e.getMessage());
            return;
        }
        Jid from = addresses.from(), to = addresses.to();
        if (!authenticated.contains(to.domain() + " " + from.domain())) {
            if (authenticated.isEmpty()) {
                fail(StreamError.NOT_AUTHORIZED, from.domain() + " is not authenticated on this stream (SASL EXTERNAL or dialback first)");
            } else if (authenticated.stream().noneMatch(p -> p.endsWith(" " + from.domain()))) {
                fail(StreamError.INVALID_FROM, from.domain() + " is not a domain authenticated on this stream");
            } else {
                fail(StreamError.HOST_UNKNOWN, to.domain() + " was not authenticated on this stream for " + from.domain());
            }
            return;
        }
        in.increment();
        s2s.take(intake, stanza, from);
    }

    private static String lower(String s) {
        return s == null || s.isBlank() ? null : s.strip().toLowerCase(Locale.ROOT);
    }

    /** The stanza as the server's own: jabber:server is jabber:client inside the server. */
    static Element toClient(Element e) {
        return e.renamespaced(StreamHeader.SERVER, StreamHeader.CLIENT);
    }

    void fail(StreamError error, String text) {
        if (done) return;
        done = true;
        LOG.info("Server stream from {} ({} -> {}) refused: {}", conn.remoteAddress(), peer, local, text);
        conn.streamError(header(), error, text);
    }

    /** Why the peer's certificate is not good for {@code domain}, or null when it is. */
    private String certificateProblem(String domain) {
        if (!conn.isSecure()) return s2s.certificateProblem(conn, domain); // not cached: TLS may start yet
        return certificates.computeIfAbsent(domain, d -> Optional.ofNullable(s2s.certificateProblem(conn, d))).orElse(null);
    }

    /** "local remote" may send on this stream; with XEP-0288, this server sends to remote over it too. */
    private void authenticated(String pair) {
        authenticated.add(pair);
        if (bidi) s2s.bidi(pair, this);
    }

    /** XEP-0288: a stanza from this server to the peer, over the peer's stream. */
    void send(Element stanza) {
        out.increment();
        conn.write(stanza, StreamHeader.CLIENT); // without xmlns: the stream's default, jabber:server
    }

    /** Whether {@code domain} is this stream's peer (claimed or authenticated). */
    boolean from(String domain) {
        return domain.equals(peer) || authenticated.stream().anyMatch(p -> p.endsWith(" " + domain));
    }

    void shutdown() {
        fail(StreamError.SYSTEM_SHUTDOWN, "The server-to-server module stopped");
    }

    @Override
    public void closed() {
        if (!done) {
            done = true;
            conn.closeStream(header());
        }
    }

    @Override
    public void failed(XmlException error) {
        fail(StreamError.of(error.condition().streamError()), error.getMessage());
    }

    @Override
    public void disconnected(String reason) {
        done = true;
        s2s.inbound.remove(this);
        s2s.bidiGone(this);
        intake.shutdown();
        if (!authenticated.isEmpty()) LOG.info("Server stream from {} ({}) ended: {}", conn.remoteAddress(), authenticated, reason);
    }

    @Override
    public void idle() {
        closed();
    }

    @Override
    public String toString() {
        return (peer == null ? "?" : peer) + " -> " + (local == null ? "?" : local) + " " + conn.remoteAddress() + conn.tlsProtocol().map(p -> " " + p).orElse("")
                + (authenticated.isEmpty() ? " (not authenticated)" : " " + authenticated) + (external != null ? " SASL EXTERNAL" : "")
                + (bidi ? " bidirectional" : "") + ", " + in.sum() + " stanzas in, " + out.sum() + " out";
    }
}
