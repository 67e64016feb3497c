package dev.strata.stream.internal;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.InvalidJidException;
import dev.strata.api.Jid;
import dev.strata.api.stanza.Router;
import dev.strata.api.stanza.Session;
import dev.strata.api.stanza.SessionRegistry;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.stanza.StreamError;
import dev.strata.api.stream.Negotiation;
import dev.strata.api.stream.StreamAcks;
import dev.strata.api.stream.StreamFeature;
import dev.strata.api.transport.Connection;
import dev.strata.api.transport.StreamHandler;
import dev.strata.api.transport.StreamHeader;
import dev.strata.api.xml.Element;
import dev.strata.api.xml.XmlEvent;
import dev.strata.api.xml.XmlException;

/**
 * One client stream through RFC 6120 negotiation: header checks (§4.7–4.9) and STARTTLS (§5) here;
 * SASL (§6), resource binding (§7) and the rest are {@link StreamFeature}s on the whiteboard,
 * offered by stage and handed the elements of their namespace. Once bound, the stream carries a
 * {@link ClientSession} whose stanzas go to the router. Events arrive on the I/O thread and are
 * handled in order on the stream's own worker (which the session shares), so they may block.
 */
final class C2sStream implements StreamHandler, Negotiation {
    static final String STREAMS_NS = "http://etherx.jabber.org/streams";
    static final String CLIENT_NS = "jabber:client";
    static final String TLS_NS = "urn:ietf:params:xml:ns:xmpp-tls";
    private static final Logger LOG = LoggerFactory.getLogger(C2sStream.class);
    /**
     * RFC 6120 §4.7.5: major.minor, each a non-negative integer; we speak 1.0 and answer a higher 1.x
     * or 2+ with 1.0. At most nine digits each, so a number past int range is refused like a missing one.
     */
    private static final Pattern VERSION = Pattern.compile("(\\d{1,9})\\.\\d{1,9}");
    private static final SecureRandom RANDOM = new SecureRandom();
    /** XEP-0198 ack request, written by the stream layer. */
    static final Element ACK_REQUEST = Element.of("r", StreamAcks.NAMESPACE);
    private static final int HIGH_WATER = 256;
    private static final int LOW_WATER = 32;

    private final C2sStreams owner;
    private final Connection conn;
    private final SerialExecutor worker;
    private final String id;
    private volatile boolean paused;
    private volatile boolean open = true;
    /** The stream ended by a closing handshake or a stream error, not by a lost connection. */
    private volatile boolean closedCleanly;
    private String domain;
    /** After <proceed/>: nothing but the TLS handshake and a new stream header may come (RFC 6120 §5.4.3.3). */
    private boolean tlsPending;
    private Jid user;
    private volatile String mechanism;
    private volatile ClientSession session;
    /** An idle stream with stream management was asked for an ack (XEP-0198 §4) instead of being closed; reset by what the client sends. */
    private boolean idleAckRequested;
    /** What features keep for this stream; few streams have any, so made on first use. */
    private Map<String, Object> attributes;

    C2sStream(C2sStreams owner, Connection conn) {
        this.owner = owner;
        this.conn = conn;
        this.id = newId();
        this.worker = new SerialExecutor("c2s-" + id);
        int deadline = owner.config().negotiation_timeout();
        // the whole negotiation (TLS, SASL, bind) has a deadline: a client that drips bytes, or none, cannot hold a connection
        if (deadline > 0) CompletableFuture.delayedExecutor(deadline, TimeUnit.SECONDS).execute(() -> worker.execute(() -> negotiationDeadline(deadline)));
    }

    private void negotiationDeadline(int seconds) {
        if (open && session == null) {
            streamError(StreamError.POLICY_VIOLATION, "The stream was not negotiated (TLS, authentication, resource binding) within " + seconds + " s");
        }
    }

    private static String newId() {
        byte[] b = new byte[12];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    // --- from the I/O thread: queue, with back-pressure -------------------------------------

    private void submit(Runnable task) {
        worker.execute(() -> {
            task.run();
            if (paused && worker.pending() <= LOW_WATER) {
                paused = false;
                conn.resumeReading();
            }
        });
        if (!paused && worker.pending() > HIGH_WATER) {
            paused = true;
            conn.pauseReading();
        }
    }

    @Override
    public void opened(XmlEvent.StreamOpen open) {
        submit(() -> onOpen(open));
    }

    @Override
    public void element(Element element) {
        submit(() -> onElement(element));
    }

    @Override
    public void closed() {
        submit(() -> {
            LOG.debug("{} closed its stream", this);
            closedCleanly = true;
            if (endReason == null) endReason = "closed by the client";
            conn.closeStream(header());
        });
    }

    @Override
    public void failed(XmlException error) {
        submit(() -> streamError(StreamError.of(error.condition().streamError()), error.getMessage()));
    }

    @Override
    public void idle() {
        submit(() -> {
            ClientSession s = session;
            // with stream management, an idle client is asked once whether it is there before its stream closes
            if (s != null && s.acks() != null && !idleAckRequested && open) {
                idleAckRequested = true;
                s.acks().requested();
                write(ACK_REQUEST);
                return;
            }
            streamError(StreamError.CONNECTION_TIMEOUT, "The stream was idle too long");
        });
    }

    @Override
    public void disconnected(String reason) {
        submit(() -> {
            open = false;
            ClientSession s = session;
            // only a connection lost without a closing handshake or a stream error may leave its session kept
            if (s != null) s.detach(this, endReason != null ? endReason : "connection lost: " + reason, !closedCleanly);
        });
    }

    // --- negotiation, on the worker --------------------------------------------------------------

    /** Our stream header's attributes; the connection frames it (and sends it before an error if it has not yet). */
    private StreamHeader header() {
        return new StreamHeader(domain != null ? domain : owner.defaultDomain(), id);
    }

    /** Why this stream ended, as the session's end is logged: the server's stream error, or the client's closing tag. On the worker. */
    private String endReason;

    /** Sends a stream error (§4.9.1.1: after our header if it was not sent yet) and closes. */
    void streamError(StreamError error, String text) {
        if (!open) return;
        LOG.debug("Stream error {} to {}: {}", error.condition(), conn.remoteAddress(), text);
        if (endReason == null) endReason = "stream error " + error.condition() + ": " + text;
        open = false;
        closedCleanly = true;
        conn.streamError(header(), error, text);
    }

    private void onOpen(XmlEvent.StreamOpen open) {
        tlsPending = false; // the stream restarted over TLS
        Element h = open.header();
        if (!STREAMS_NS.equals(open.namespaces().get("stream"))) {
            streamError(h.namespace().equals(STREAMS_NS) ? StreamError.BAD_NAMESPACE_PREFIX : StreamError.INVALID_NAMESPACE,
                    "The stream element must be <stream:stream xmlns:stream='" + STREAMS_NS + "'> (RFC 6120 §4.8.1)");
            return;
        }
        if (!h.is("stream", STREAMS_NS)) {
            streamError(StreamError.INVALID_NAMESPACE, "The root element must be stream:stream (RFC 6120 §4.8.1)");
            return;
        }
        if (!CLIENT_NS.equals(open.namespaces().get(""))) {
            streamError(StreamError.INVALID_NAMESPACE, "The content namespace of a client stream is jabber:client (RFC 6120 §4.8.2)");
            return;
        }
        String to = h.attribute("to");
        String d;
        try {
            d = to == null ? owner.defaultDomain() : Jid.of(to).domain();
        } catch (InvalidJidException e) {
            d = null;
        }
        if (d == null || !owner.hosts(d) || (to != null && !Jid.of(to).isDomain())) {
            streamError(StreamError.HOST_UNKNOWN, "This server does not serve '" + to + "'");
            return;
        }
        if (domain != null && !domain.equals(d)) {
            streamError(StreamError.HOST_UNKNOWN, "The stream restarted with another domain");
            return;
        }
        domain = d;
        String version = h.attribute("version");
        Matcher v = version == null ? null : VERSION.matcher(version);
        if (v == null || !v.matches() || Integer.parseInt(v.group(1)) < 1) {
            streamError(StreamError.UNSUPPORTED_VERSION, "XMPP 1.0 is required (the stream header needs version='1.0')");
            return;
        }
        if (!conn.isSecure() && !conn.byteStream() && owner.config().tls_required()) {
            // no STARTTLS over WebSocket (RFC 7395 §3.4): the encryption this server requires must come from the transport
            streamError(StreamError.POLICY_VIOLATION, "This server requires encryption: connect over TLS (wss:// for WebSocket)");
            return;
        }
        conn.openStream(header(), offered());
    }

    /** The features to offer now: before authentication, before binding, or none once bound. */
    List<Element> offered() {
        List<Element> f = new ArrayList<>();
        if (user == null) {
            if (!conn.isSecure() && conn.byteStream()) {
                Element.Builder tls = Element.builder("starttls", TLS_NS);
                if (owner.config().tls_required()) tls.child(Element.of("required", TLS_NS));
                f.add(tls.build());
            }
            if (conn.isSecure() || !owner.config().tls_required()) offer(f, StreamFeature.Stage.BEFORE_AUTH);
        } else if (session == null) {
            offer(f, StreamFeature.Stage.AFTER_AUTH);
        }
        return f;
    }

    /** The features modules contribute at this stage. */
    private void offer(List<Element> features, StreamFeature.Stage stage) {
        for (StreamFeature feature : owner.features().values()) {
            try {
                Element offer = feature.offer(stage, this);
                if (offer != null) features.add(offer);
            } catch (RuntimeException e) {
                LOG.error("Stream feature {} failed to offer itself", feature.getClass().getName(), e);
            }
        }
    }

    private void onElement(Element e) {
        if (!open) return;
        idleAckRequested = false;
        if (tlsPending) { // e.g. a second <starttls/> in the same packet: one <proceed/> was sent, and only one
            streamError(StreamError.POLICY_VIOLATION, "Nothing may follow <starttls/> before the TLS handshake (RFC 6120 §5.4.3.3)");
            return;
        }
        switch (e.namespace()) {
            case TLS_NS -> onTls(e);
            case CLIENT_NS -> onStanza(e);
            default -> {
                ClientSession s = session;
                if (s != null && s.acks() != null && e.namespace().equals(StreamAcks.NAMESPACE) && acks(e, s.acks())) return;
                StreamFeature feature = owner.features().get(e.namespace());
                if (feature == null) {
                    streamError(StreamError.UNSUPPORTED_STANZA_TYPE, "<" + e.name() + " xmlns='" + e.namespace() + "'> is not supported here");
                } else {
                    feature.negotiate(e, this);
                }
            }
        }
    }

    /**
     * XEP-0198 §4 acks once counting started: the stream layer's, so they go on while the
     * stream-management module reloads. False for other elements of the namespace (the module's).
     */
    private boolean acks(Element e, StreamAcks acks) {
        switch (e.name()) {
            case "r" -> answer(acks.h());
            case "a" -> {
                try {
                    acks.ack(Long.parseLong(String.valueOf(e.attribute("h"))));
                    if (acks.askAgain()) write(ACK_REQUEST); // still past max.unacked (a burst): ask now, not when the next stanza goes
                } catch (NumberFormatException ex) {
                    streamError(StreamError.UNDEFINED_CONDITION, "<a/> needs an 'h' attribute with a count from 0 to 4294967295 (XEP-0198 §4)");
                } catch (IllegalArgumentException ex) {
                    streamError(StreamError.UNDEFINED_CONDITION, ex.getMessage() + " (XEP-0198 §4)");
                }
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    /** The last {@code h} this stream acknowledged, or -1; on the worker. */
    private long acknowledged = -1;

    /**
     * XEP-0198 §4 {@code <a h/>}: {@code h} stanzas handled, said once what handling them wrote is
     * durable (a module's write that did not wait for the disk, such as an archived copy), so an
     * acknowledged stanza survives a crash. At once when nothing waits to be made durable.
     */
    private void answer(long h) {
        CompletableFuture<Void> durable = owner.durable().toCompletableFuture();
        if (durable.isDone() && !durable.isCompletedExceptionally()) {
            acknowledge(h);
            return;
        }
        durable.whenComplete((ok, failure) -> worker.execute(() -> {
            if (!open) return;
            if (failure == null) {
                acknowledge(h);
            } else {
                LOG.warn("Stanzas from {} could not be made durable: {}", session == null ? conn.remoteAddress() : session.jid(), failure.toString());
                streamError(StreamError.INTERNAL_SERVER_ERROR, "The server could not store what you sent; send again what it has not acknowledged");
            }
        }));
    }

    private void acknowledge(long h) {
        // answers that waited may finish out of order; a count never goes back (mod 2^32, §4)
        if (acknowledged >= 0 && ((h - acknowledged) & 0xFFFF_FFFFL) >= 0x8000_0000L) h = acknowledged;
        acknowledged = h;
        write(Element.builder("a", StreamAcks.NAMESPACE).attribute("h", Long.toString(h)).build());
    }

    private void onTls(Element e) {
        if (!e.name().equals("starttls") || conn.isSecure() || !conn.byteStream() || user != null) {
            open = false; // RFC 6120 §5.4.2.2: failure, then the stream closes
            conn.write(Element.of("failure", TLS_NS), "");
            conn.closeStream(header());
            return;
        }
        tlsPending = true;
        conn.startTls(Element.of("proceed", TLS_NS), () -> LOG.debug("TLS established with {}", conn.remoteAddress()));
    }

    // --- stanzas (RFC 6120 §7, §8) ----------------------------------------------------------

    private void onStanza(Element e) {
        if (!e.name().equals("iq") && !e.name().equals("message") && !e.name().equals("presence")) {
            streamError(StreamError.UNSUPPORTED_STANZA_TYPE, "<" + e.name() + "/> is not a stanza");
            return;
        }
        ClientSession s = session;
        if (s == null) {
            // before binding, IQs go to the feature that negotiates with them (registration over TLS, binding after SASL)
            StreamFeature feature = e.name().equals("iq") && (user != null || conn.isSecure())
                    ? e.firstChild().map(c -> owner.negotiationIq(c.namespace())).orElse(null) : null;
            if (feature != null) feature.negotiate(e, this);
            else if (user == null) streamError(StreamError.NOT_AUTHORIZED, "Authenticate first (RFC 6120 §6)");
            else streamError(StreamError.NOT_AUTHORIZED, "Bind a resource first (RFC 6120 §7)");
            return;
        }
        Jid jid = s.jid();
        String from = e.attribute("from");
        if (from != null) {
            Optional<Jid> claimed = Jid.tryParse(from);
            if (claimed.isEmpty() || !(claimed.get().equals(jid) || claimed.get().equals(jid.bare()))) {
                streamError(StreamError.INVALID_FROM, "'from' must be your own address (RFC 6120 §8.1.2.1)");
                return;
            }
        }
        Element stamped = e.toBuilder().attribute("from", jid.toString()).build();
        Router router = owner.router();
        if (router == null) {
            if (e.name().equals("iq") && ("get".equals(e.attribute("type")) || "set".equals(e.attribute("type")))) {
                s.send(StanzaError.SERVICE_UNAVAILABLE.replyTo(stamped, "Routing is not available", true));
            }
            if (s.acks() != null) s.acks().handled();
            return;
        }
        s.inbound(stamped, router);
        StreamAcks acks = s.acks();
        if (acks != null) acks.handled(); // after routing: an acknowledged stanza has been delivered or stored
    }

    // --- the session's outbound path ------------------------------------------------------------

    /**
     * Stanzas written while a SASL2 success is being made: the session is bound (and may be routed
     * to) before its {@code <success/>} leaves, and nothing may go out before it (XEP-0388 §2.5).
     * Null when not holding: the write path then costs one volatile read.
     */
    private volatile List<Element> held;

    /** Writes a stanza for the session attached to this stream. */
    void write(Element stanza) {
        if (held != null && hold(List.of(stanza))) return;
        if (open) conn.write(stanza, CLIENT_NS);
    }

    /** Writes stanzas a session filter held back, flushed once. */
    void write(List<Element> stanzas) {
        if (held != null && hold(stanzas)) return;
        if (open) conn.write(stanzas, CLIENT_NS);
    }

    private synchronized boolean hold(List<Element> stanzas) {
        List<Element> h = held;
        if (h == null) return false;
        h.addAll(stanzas);
        return true;
    }

    /** From now until {@link #release}, what is written to this stream waits. On the worker. */
    synchronized void hold() {
        if (held == null) held = new ArrayList<>();
    }

    /** Writes {@code first} (a SASL2 success and the features after it), then what waited, and stops holding. */
    synchronized void release(List<Element> first) {
        List<Element> h = held;
        held = null;
        List<Element> out = new ArrayList<>(first);
        if (h != null) out.addAll(h);
        if (open) conn.write(out, CLIENT_NS);
    }

    /** Sends a stream error and closes, on the worker. */
    void close(StreamError error, String text) {
        worker.execute(() -> streamError(error, text));
    }

    // --- Negotiation ---------------------------------------------------------------------------

    @Override
    public Connection connection() {
        return conn;
    }

    @Override
    public String domain() {
        return domain;
    }

    @Override
    public Jid user() {
        return user;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public void authenticated(Jid account, String with) {
        authenticated(account, with, true);
    }

    @Override
    public void authenticated(Jid account, String with, boolean restart) {
        if (user != null) throw new IllegalStateException("The stream is authenticated already");
        user = account;
        mechanism = with;
        if (restart) conn.resetStream(); // the client's next bytes are a new stream header
    }

    /** The stream features on the whiteboard, by namespace. */
    Map<String, StreamFeature> streamFeatures() {
        return owner.features();
    }

    @Override
    public Session bind(Jid full) throws StanzaException {
        if (user == null || !full.bare().equals(user)) throw new StanzaException(StanzaError.NOT_AUTHORIZED, "Only the authenticated account binds");
        if (session != null) throw new StanzaException(StanzaError.NOT_ALLOWED, "A resource is bound already");
        SessionRegistry registry = owner.registry();
        if (registry == null) throw new StanzaException(StanzaError.INTERNAL_SERVER_ERROR, "The session registry is not available");
        int max = owner.config().max_resources_per_account();
        List<Session> others = registry.sessions(full.bare());
        if (others.size() >= max && others.stream().noneMatch(o -> o.jid().equals(full))) { // replacing one's own resource is always allowed
            throw new StanzaException(StanzaError.RESOURCE_CONSTRAINT, "The account has " + max + " resources bound already (RFC 6120 §7.6.2.2)");
        }
        ClientSession bound = new ClientSession(owner, full, id, this);
        switch (registry.bind(bound, owner.conflictPolicy())) {
            case SessionRegistry.Binding.Conflict c -> throw new StanzaException(StanzaError.CONFLICT, "The resource is in use");
            case SessionRegistry.Binding.Bound b when b.replaced() != null -> {
                if (b.replaced() instanceof ClientSession old) owner.unbound(old); // no longer this layer's to bind anywhere
                b.replaced().close(StreamError.CONFLICT, "Replaced by a new session for the same resource");
            }
            case SessionRegistry.Binding.Bound b -> { }
        }
        session = bound;
        owner.bound(bound, registry);
        LOG.info("Session started: {} from {}", full, conn.remoteAddress());
        owner.event("strata/session/STARTED", Map.of("jid", full.toString(), "ip", conn.remoteAddress().getAddress().getHostAddress()));
        return bound;
    }

    @Override
    public Session resume(Session kept, Element answer) throws StanzaException {
        if (user == null) throw new StanzaException(StanzaError.NOT_AUTHORIZED, "Authenticate first (RFC 6120 §6)");
        if (session != null) throw new StanzaException(StanzaError.NOT_ALLOWED, "A session is bound to this stream already");
        if (!(kept instanceof ClientSession c) || !c.jid().bare().equals(user)) {
            throw new StanzaException(StanzaError.NOT_AUTHORIZED, "That session is not this account's");
        }
        C2sStream before;
        try {
            before = c.takeOver(this, answer);
        } catch (IllegalStateException e) {
            throw new StanzaException(StanzaError.ITEM_NOT_FOUND, "The session has ended");
        }
        session = c;
        if (before != null) before.close(StreamError.CONFLICT, "The session was resumed on another connection");
        LOG.info("Session resumed: {} from {}{}", c.jid(), conn.remoteAddress(), before != null ? " (its previous connection closed)" : "");
        return c;
    }

    @Override
    public void startCounting(StreamAcks acks, Element answer) throws StanzaException {
        ClientSession s = session;
        if (s == null) throw new StanzaException(StanzaError.UNEXPECTED_REQUEST, "Bind a resource first (XEP-0198 §3)");
        if (!s.startCounting(acks, this, answer)) throw new StanzaException(StanzaError.UNEXPECTED_REQUEST, "Stream management is enabled already");
    }

    SerialExecutor worker() {
        return worker;
    }

    @Override
    public Object attribute(String key) {
        Map<String, Object> a = attributes;
        return a == null ? null : a.get(key);
    }

    @Override
    public void attribute(String key, Object value) {
        if (attributes == null) {
            if (value == null) return;
            attributes = new HashMap<>(4);
        }
        if (value == null) attributes.remove(key);
        else attributes.put(key, value);
    }

    @Override
    public void fail(StreamError error, String text) {
        streamError(error, text);
    }

    @Override
    public void send(Element element) {
        write(element);
    }

    @Override
    public Session session() {
        return session;
    }

    String tlsInfo() {
        return transport(conn) + (mechanism == null ? "" : ", " + mechanism) + (conn.isCompressed() ? ", zlib" : "");
    }

    /** What carries a stream, for the log and session listings: "TLSv1.3", "websocket, no TLS, trusted", ... */
    static String transport(dev.strata.api.transport.Connection c) {
        return (c.byteStream() ? "" : c.kind() + ", ") + c.tlsProtocol().orElse(c.isSecure() ? "no TLS, trusted" : "no TLS");
    }

    @Override
    public String toString() {
        ClientSession s = session;
        return "c2s " + id + " " + (s != null ? s.jid() : conn.remoteAddress());
    }
}
