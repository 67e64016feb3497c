package dev.strata.xep0114;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Locale;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.Jid;
import dev.strata.api.stanza.Origin;
import dev.strata.api.stanza.StreamError;
import dev.strata.api.transport.Connection;
import dev.strata.api.transport.OrderedIntake;
import dev.strata.api.transport.StreamHandler;
import dev.strata.api.transport.StreamHeader;
import dev.strata.api.xml.Element;
import dev.strata.api.xml.XmlEvent;
import dev.strata.api.xml.XmlException;

/**
 * One component's stream (XEP-0114 §3): its header names the component's domain ({@code to}), the
 * server answers with a stream id, the component proves it knows the secret with {@code
 * <handshake>} (the hex SHA-1 of the stream id and the secret) and gets an empty {@code
 * <handshake/>}; from then on its stanzas, 'from' its domain or a JID under it, are delivered by the
 * router in the order they came (on a worker of their own: the connection's thread never waits on
 * storage), and the stanzas to its domain are written to it. Every refusal is a stream error:
 * {@code host-unknown} for a domain that is no configured component, {@code not-authorized} for a
 * wrong handshake or a stanza before it, {@code conflict} when the domain is connected already,
 * {@code invalid-from} and {@code improper-addressing} for stanzas it may not send.
 */
final class ComponentStream implements StreamHandler {
    private static final Logger LOG = LoggerFactory.getLogger(ComponentStream.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Connection conn;
    private final ComponentStreams streams;
    private final String id;
    private OrderedIntake intake;
    /** The domain the header named; set once the stream is open. */
    private String domain;
    private volatile boolean authenticated, done;
    private Origin origin;
    /** Stanzas from and to the component since it connected ({@code component:list}). */
    private final java.util.concurrent.atomic.LongAdder in = new java.util.concurrent.atomic.LongAdder(), out = new java.util.concurrent.atomic.LongAdder();
    private volatile java.time.Instant since;

    ComponentStream(Connection conn, ComponentStreams streams) {
        this.conn = conn;
        this.streams = streams;
        byte[] bits = new byte[12];
        RANDOM.nextBytes(bits);
        this.id = HexFormat.of().formatHex(bits);
    }

    private StreamHeader header() {
        return new StreamHeader(domain, id, StreamHeader.COMPONENT);
    }

    @Override
    public void opened(XmlEvent.StreamOpen open) {
        if (domain != null) {
            fail(StreamError.POLICY_VIOLATION, "The stream is open already");
            return;
        }
        String to = open.header().attribute("to");
        String ns = open.namespaces().getOrDefault("", "");
        if (!StreamHeader.COMPONENT.equals(ns)) {
            fail(StreamError.INVALID_NAMESPACE, "This port takes components' streams (xmlns='" + StreamHeader.COMPONENT + "'), not '" + ns + "'");
            return;
        }
        if (to == null || to.isBlank()) {
            fail(StreamError.HOST_UNKNOWN, "The stream header must name the component's domain in 'to'");
            return;
        }
        domain = to.strip().toLowerCase(Locale.ROOT);
        if (streams.secret(domain) == null) {
            String unknown = domain;
            domain = null;
            conn.streamError(new StreamHeader(null, id, StreamHeader.COMPONENT), StreamError.HOST_UNKNOWN, unknown + " is not a component of this server");
            done = true;
            LOG.warn("Component stream from {} for {}, which is not configured (strata.xep0114)", conn.remoteAddress(), unknown);
            return;
        }
        conn.openStream(header(), java.util.List.of());
    }

    @Override
    public void element(Element element) {
        if (done) return;
        if (!authenticated) {
            if (element.is("handshake", StreamHeader.COMPONENT)) handshake(element.text());
            else fail(StreamError.NOT_AUTHORIZED, "The component must send its <handshake/> first");
            return;
        }
        Element stanza = toClient(element);
        if (!stanza.name().equals("message") && !stanza.name().equals("presence") && !stanza.name().equals("iq")) {
            fail(StreamError.UNSUPPORTED_STANZA_TYPE, "<" + element.name() + "/> is not a stanza");
            return;
        }
        Jid from, to;
        try {
            from = stanza.attribute("from") == null ? null : Jid.of(stanza.attribute("from"));
            to = stanza.attribute("to") == null ? null : Jid.of(stanza.attribute("to"));
        } catch (IllegalArgumentException e) {
            fail(StreamError.IMPROPER_ADDRESSING, "A stanza's 'from' or 'to' is not a JID: " + e.getMessage());
            return;
        }
        if (from == null || to == null) {
            fail(StreamError.IMPROPER_ADDRESSING, "A component's stanzas need both 'from' and 'to'");
            return;
        }
        if (!from.domain().equals(domain)) {
            fail(StreamError.INVALID_FROM, "A stanza from " + domain + " must come from it or a JID under it, not " + from);
            return;
        }
        in.increment();
        intake.submit(() -> {
            try {
                streams.router().deliver(stanza, origin);
            } catch (RuntimeException e) {
                LOG.error("Routing a stanza from the component {} failed", domain, e);
            }
        });
    }

    private void handshake(String given) {
        String secret = streams.secret(domain);
        String expected = secret == null ? "" : sha1Hex(id + secret);
        if (secret == null || !MessageDigest.isEqual(expected.getBytes(UTF_8), given.strip().toLowerCase(Locale.ROOT).getBytes(UTF_8))) {
            LOG.warn("Component {} from {} failed its handshake", domain, conn.remoteAddress());
            fail(StreamError.NOT_AUTHORIZED, "The handshake does not match the secret configured for " + domain);
            return;
        }
        if (!streams.connect(domain, this)) {
            LOG.warn("Component {} from {} refused: it is connected already", domain, conn.remoteAddress());
            fail(StreamError.CONFLICT, domain + " is connected already");
            return;
        }
        authenticated = true;
        since = java.time.Instant.now();
        Jid jid = Jid.of(domain);
        origin = Origin.of(jid, this::send);
        intake = new OrderedIntake(conn, "strata-component " + domain);
        conn.write(Element.of("handshake", StreamHeader.COMPONENT), StreamHeader.COMPONENT);
        LOG.info("Component {} connected from {}", domain, conn.remoteAddress());
    }

    /** XEP-0114 §3: the lower-case hex SHA-1 of the stream id followed by the secret. */
    static String sha1Hex(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(s.getBytes(UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A stanza for the component: written in the stream's namespace (what is jabber:client here is jabber:component:accept there). */
    void send(Element stanza) {
        if (done || !authenticated) return;
        out.increment();
        conn.write(stanza, StreamHeader.CLIENT);
    }

    /** The stanza as the server's own: jabber:component:accept is jabber:client inside the server. */
    static Element toClient(Element e) {
        return e.renamespaced(StreamHeader.COMPONENT, StreamHeader.CLIENT);
    }

    /** Ends the stream with {@code error}. */
    void fail(StreamError error, String text) {
        if (done) return;
        done = true;
        conn.streamError(header(), error, text);
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
        if (authenticated) {
            streams.disconnected(domain, this);
            intake.shutdown();
            LOG.info("Component {} disconnected: {}", domain, reason);
        }
    }

    @Override
    public void idle() {
        fail(StreamError.CONNECTION_TIMEOUT, "The component was silent too long");
    }

    /** For {@code component:list}: where from, since when, stanzas each way. */
    @Override
    public String toString() {
        return domain + " connected from " + conn.remoteAddress() + conn.tlsProtocol().map(p -> " " + p).orElse("") + " since " + since + ", " + in.sum()
                + " stanzas in, " + out.sum() + " out";
    }
}
