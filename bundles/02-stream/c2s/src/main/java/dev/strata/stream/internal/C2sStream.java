package dev.strata.stream.internal;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.InvalidJidException;
import dev.strata.api.Jid;
import dev.strata.api.auth.AccountStore;
import dev.strata.api.auth.ScramHash;
import dev.strata.api.stanza.Router;
import dev.strata.api.stanza.Session;
import dev.strata.api.stanza.SessionRegistry;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StreamError;
import dev.strata.api.stream.Negotiation;
import dev.strata.api.stream.StreamFeature;
import dev.strata.api.transport.Connection;
import dev.strata.api.transport.StreamHandler;
import dev.strata.api.xml.Element;
import dev.strata.api.xml.XmlEvent;
import dev.strata.api.xml.XmlException;
import dev.strata.api.xml.XmlWriter;

/**
 * One client stream through RFC 6120 negotiation: header checks (§4.7–4.9), STARTTLS (§5), SASL
 * (§6), resource binding (§7); then it carries a {@link ClientSession} whose stanzas go to the
 * router. Events arrive on the I/O thread and are handled in order on the stream's own worker
 * (which the session shares), so they may block.
 */
final class C2sStream implements StreamHandler, Negotiation {
    static final String STREAMS_NS = "http://etherx.jabber.org/streams";
    static final String CLIENT_NS = "jabber:client";
    static final String TLS_NS = "urn:ietf:params:xml:ns:xmpp-tls";
    static final String SASL_NS = "urn:ietf:params:xml:ns:xmpp-sasl";
    static final String BIND_NS = "urn:ietf:params:xml:ns:xmpp-bind";
    static final String SESSION_NS = "urn:ietf:params:xml:ns:xmpp-session";
    static final String SASL_CB_NS = "urn:xmpp:sasl-cb:0";
    private static final Logger LOG = LoggerFactory.getLogger(C2sStream.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int HIGH_WATER = 256;
    private static final int LOW_WATER = 32;

    private final C2sStreams owner;
    private final Connection conn;
    private final SerialExecutor worker;
    private final String id;
    private volatile boolean paused;
    private volatile boolean open = true;
    private boolean headerSent;
    private String domain;
    private Sasl sasl;
    private Map<String, byte[]> bindings;
    private String mechanism;
    private int authFailures;
    private Jid user;
    private volatile ClientSession session;

    C2sStream(C2sStreams owner, Connection conn) {
        this.owner = owner;
        this.conn = conn;
        this.id = newId();
        this.worker = new SerialExecutor("c2s-" + id);
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
            conn.write(unsentHeader() + "</stream:stream>");
            conn.closeGracefully();
        });
    }

    @Override
    public void failed(XmlException error) {
        submit(() -> streamError(StreamError.of(error.condition().streamError()), error.getMessage()));
    }

    @Override
    public void idle() {
        submit(() -> streamError(StreamError.CONNECTION_TIMEOUT, "The stream was idle too long"));
    }

    @Override
    public void disconnected(String reason) {
        submit(() -> {
            open = false;
            ClientSession s = session;
            if (s != null) s.detach(this, reason);
        });
    }

    // --- negotiation, on the worker --------------------------------------------------------------

    /**
     * Our stream header, unless it went out already; callers send it in one write with what follows
     * (features, an error, the closing tag): one TLS record and one syscall instead of two.
     */
    private String unsentHeader() {
        if (headerSent) return "";
        headerSent = true;
        String d = domain != null ? domain : owner.defaultDomain();
        return "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='" + STREAMS_NS + "' id='" + id
                + "' from='" + escape(d) + "' version='1.0' xml:lang='en'>";
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace("'", "&apos;").replace("\"", "&quot;");
    }

    /** Sends a stream error (§4.9.1.1: after our header if it was not sent yet) and closes. */
    void streamError(StreamError error, String text) {
        if (!open) return;
        LOG.debug("Stream error {} to {}: {}", error.condition(), conn.remoteAddress(), text);
        conn.write(unsentHeader() + "<stream:error><" + error.condition() + " xmlns='" + StreamError.NS + "'/>"
                + (text == null ? "" : "<text xmlns='" + StreamError.NS + "' xml:lang='en'>" + escape(text) + "</text>")
                + "</stream:error></stream:stream>");
        open = false;
        conn.closeGracefully();
    }

    private void onOpen(XmlEvent.StreamOpen open) {
        headerSent = false;
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
        if (version == null || !version.matches("\\d+\\.\\d+") || Integer.parseInt(version.substring(0, version.indexOf('.'))) < 1) {
            streamError(StreamError.UNSUPPORTED_VERSION, "XMPP 1.0 is required (the stream header needs version='1.0')");
            return;
        }
        conn.write(unsentHeader() + features());
    }

    private List<String> mechanisms() {
        List<String> list = new ArrayList<>();
        if (!channelBindings().isEmpty()) {
            for (ScramHash h : List.of(ScramHash.SHA_512, ScramHash.SHA_256, ScramHash.SHA_1)) list.add(h.mechanism() + "-PLUS");
        }
        for (ScramHash h : List.of(ScramHash.SHA_512, ScramHash.SHA_256, ScramHash.SHA_1)) list.add(h.mechanism());
        if (conn.isSecure() && owner.config().plain_allowed()) list.add("PLAIN");
        return list;
    }

    /** The binding data of this TLS session, computed once it is secure (features and SCRAM both need it). */
    private Map<String, byte[]> channelBindings() {
        if (bindings == null && conn.isSecure()) {
            Map<String, byte[]> m = new LinkedHashMap<>();
            conn.channelBinding("tls-exporter").ifPresent(b -> m.put("tls-exporter", b));
            conn.channelBinding("tls-server-end-point").ifPresent(b -> m.put("tls-server-end-point", b));
            bindings = Collections.unmodifiableMap(m); // keeps the preference order (tls-exporter first)
        }
        return bindings == null ? Map.of() : bindings;
    }

    private String features() {
        StringBuilder f = new StringBuilder("<stream:features>");
        if (user == null) {
            if (!conn.isSecure()) {
                f.append("<starttls xmlns='").append(TLS_NS).append("'>").append(owner.config().tls_required() ? "<required/>" : "").append("</starttls>");
            }
            if (conn.isSecure() || !owner.config().tls_required()) {
                Element.Builder m = Element.builder("mechanisms", SASL_NS);
                for (String name : mechanisms()) m.child(Element.builder("mechanism", SASL_NS).text(name).build());
                f.append(XmlWriter.toString(m.build(), ""));
                Map<String, byte[]> cb = channelBindings();
                if (!cb.isEmpty()) {
                    Element.Builder b = Element.builder("sasl-channel-binding", SASL_CB_NS);
                    for (String type : cb.keySet()) b.child(Element.builder("channel-binding", SASL_CB_NS).attribute("type", type).build());
                    f.append(XmlWriter.toString(b.build(), ""));
                }
                if (conn.isSecure()) offer(f, StreamFeature.Stage.BEFORE_AUTH);
            }
        } else if (session == null) {
            f.append("<bind xmlns='").append(BIND_NS).append("'/>");
            f.append("<session xmlns='").append(SESSION_NS).append("'><optional/></session>");
            offer(f, StreamFeature.Stage.AFTER_AUTH);
        }
        return f.append("</stream:features>").toString();
    }

    /** The features modules contribute at this stage. */
    private void offer(StringBuilder features, StreamFeature.Stage stage) {
        for (StreamFeature feature : owner.features().values()) {
            try {
                Element offer = feature.offer(stage, this);
                if (offer != null) features.append(XmlWriter.toString(offer, ""));
            } catch (RuntimeException e) {
                LOG.error("Stream feature {} failed to offer itself", feature.getClass().getName(), e);
            }
        }
    }

    private void onElement(Element e) {
        if (!open) return;
        switch (e.namespace()) {
            case TLS_NS -> onTls(e);
            case SASL_NS -> onSasl(e);
            case CLIENT_NS -> onStanza(e);
            default -> {
                StreamFeature feature = owner.features().get(e.namespace());
                if (feature == null) {
                    streamError(StreamError.UNSUPPORTED_STANZA_TYPE, "<" + e.name() + " xmlns='" + e.namespace() + "'> is not supported here");
                } else {
                    feature.negotiate(e, this);
                }
            }
        }
    }

    private void onTls(Element e) {
        if (!e.name().equals("starttls") || conn.isSecure() || user != null) {
            conn.write("<failure xmlns='" + TLS_NS + "'/></stream:stream>");
            open = false;
            conn.close();
            return;
        }
        conn.startTls(Element.of("proceed", TLS_NS), () -> LOG.debug("TLS established with {}", conn.remoteAddress()));
    }

    // --- SASL (RFC 6120 §6) ---------------------------------------------------------------------

    private void saslFailure(String condition, String text) {
        conn.write("<failure xmlns='" + SASL_NS + "'><" + condition + "/>"
                + (text == null ? "" : "<text xml:lang='en'>" + escape(text) + "</text>") + "</failure>");
    }

    private void onSasl(Element e) {
        if (user != null) {
            streamError(StreamError.POLICY_VIOLATION, "The stream is authenticated already");
            return;
        }
        switch (e.name()) {
            case "auth" -> onAuth(e);
            case "response" -> {
                if (sasl == null) {
                    saslFailure("malformed-request", "No authentication in progress");
                    return;
                }
                byte[] data = decode(e.text());
                if (data == null) {
                    sasl = null;
                    saslFailure("incorrect-encoding", null);
                    return;
                }
                step(sasl.evaluate(data));
            }
            case "abort" -> {
                sasl = null;
                saslFailure("aborted", null);
            }
            default -> streamError(StreamError.UNSUPPORTED_STANZA_TYPE, "Unknown SASL element " + e.name());
        }
    }

    private void onAuth(Element e) {
        if (!conn.isSecure() && owner.config().tls_required()) {
            saslFailure("encryption-required", "Start TLS first (RFC 6120 §5)");
            return;
        }
        String name = e.attribute("mechanism");
        if (name == null || !mechanisms().contains(name)) {
            saslFailure("invalid-mechanism", "Offered: " + String.join(" ", mechanisms()));
            return;
        }
        AccountStore accounts = owner.accounts();
        if (accounts == null) {
            saslFailure("temporary-auth-failure", "Account storage is not available");
            return;
        }
        mechanism = name;
        if (name.equals("PLAIN")) {
            sasl = new PlainServer(domain, accounts::verifyPassword);
        } else {
            boolean plus = name.endsWith("-PLUS");
            ScramHash hash = ScramHash.valueOf(name.replace("-PLUS", "").replace("SCRAM-", "").replace('-', '_'));
            sasl = new ScramServer(hash, plus, domain, channelBindings(), u -> accounts.credential(u, hash));
        }
        String text = e.text().strip();
        if (text.isEmpty()) {
            conn.write("<challenge xmlns='" + SASL_NS + "'>=</challenge>");
            return;
        }
        byte[] data = decode(text);
        if (data == null) {
            sasl = null;
            saslFailure("incorrect-encoding", null);
            return;
        }
        step(sasl.evaluate(data));
    }

    private static byte[] decode(String text) {
        String t = text.strip();
        if (t.equals("=")) return new byte[0];
        try {
            return Base64.getMimeDecoder().decode(t);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private void step(Sasl.Step step) {
        String ip = conn.remoteAddress().getAddress().getHostAddress();
        switch (step) {
            case Sasl.Challenge(byte[] data) -> conn.write("<challenge xmlns='" + SASL_NS + "'>"
                    + (data.length == 0 ? "=" : Base64.getEncoder().encodeToString(data)) + "</challenge>");
            case Sasl.Success(byte[] data, Jid account) when owner.throttle().blocked(ip, account.toString()) ->
                    fail(new Sasl.Failure("temporary-auth-failure", account, "too many recent failures"), ip);
            case Sasl.Success(byte[] data, Jid account) -> {
                sasl = null;
                user = account;
                LOG.info("{} authenticated as {} with {} ({})", ip, account, mechanism, conn.tlsProtocol().orElse("no TLS"));
                conn.resetStream(); // before <success/> leaves: the client's next bytes are a new stream header
                conn.write("<success xmlns='" + SASL_NS + "'>" + (data.length == 0 ? "" : Base64.getEncoder().encodeToString(data)) + "</success>");
            }
            case Sasl.Failure failure -> fail(failure, ip);
        }
    }

    private void fail(Sasl.Failure failure, String ip) {
        sasl = null;
        String account = failure.user() == null ? null : failure.user().toString();
        boolean blocked = owner.throttle().blocked(ip, account);
        owner.throttle().failed(ip, account);
        authFailures++;
        LOG.warn("Authentication failed from {} as {} with {}: {}", ip, account == null ? "?" : account, mechanism, failure.detail());
        owner.event("strata/auth/FAILED", Map.of("ip", ip, "jid", account == null ? "" : account, "mechanism", String.valueOf(mechanism)));
        try {
            Thread.sleep(owner.config().auth_failure_delay_ms()); // slows guessing; runs on this session's virtual thread only
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // not-authorized carries no text; a malformed exchange says what was wrong with it
        String text = blocked ? "Too many failed attempts; try again later"
                : failure.condition().equals("not-authorized") || failure.condition().equals("temporary-auth-failure") ? null : failure.detail();
        saslFailure(blocked ? "temporary-auth-failure" : failure.condition(), text);
        if (authFailures >= owner.config().auth_retries()) {
            streamError(StreamError.NOT_AUTHORIZED, "Too many failed authentication attempts");
        }
    }

    // --- stanzas (RFC 6120 §7, §8) ----------------------------------------------------------

    private void onStanza(Element e) {
        if (!e.name().equals("iq") && !e.name().equals("message") && !e.name().equals("presence")) {
            streamError(StreamError.UNSUPPORTED_STANZA_TYPE, "<" + e.name() + "/> is not a stanza");
            return;
        }
        if (user == null) {
            StreamFeature preAuth = e.name().equals("iq") && conn.isSecure()
                    ? e.firstChild().map(c -> owner.preAuthIq(c.namespace())).orElse(null) : null;
            if (preAuth != null) {
                preAuth.negotiate(e, this);
                return;
            }
            streamError(StreamError.NOT_AUTHORIZED, "Authenticate first (RFC 6120 §6)");
            return;
        }
        if (e.name().equals("iq") && "set".equals(e.attribute("type"))) {
            if (e.child("bind", BIND_NS).isPresent()) {
                bind(e);
                return;
            }
            if (e.child("session", SESSION_NS).isPresent()) {
                conn.write(result(e, null), CLIENT_NS);
                return;
            }
        }
        ClientSession s = session;
        if (s == null) {
            streamError(StreamError.NOT_AUTHORIZED, "Bind a resource first (RFC 6120 §7)");
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
            return;
        }
        s.inbound(stamped, router);
    }

    private static Element result(Element iq, Element child) {
        Element.Builder b = Element.builder("iq", CLIENT_NS).attribute("type", "result").attribute("id", iq.attribute("id"));
        if (child != null) b.child(child);
        return b.build();
    }

    private void bind(Element iq) {
        if (session != null) {
            conn.write(StanzaError.NOT_ALLOWED.replyTo(iq, "A resource is bound already", true), CLIENT_NS);
            return;
        }
        String requested = iq.child("bind", BIND_NS).flatMap(b -> b.child("resource", BIND_NS)).map(Element::text).map(String::strip).orElse("");
        Jid full;
        try {
            full = user.withResource(requested.isEmpty() ? "strata-" + newId().substring(0, 8) : requested);
        } catch (InvalidJidException e) {
            conn.write(StanzaError.BAD_REQUEST.replyTo(iq, "The resource is not valid: " + e.getMessage(), true), CLIENT_NS);
            return;
        }
        SessionRegistry registry = owner.registry();
        if (registry == null) {
            conn.write(StanzaError.INTERNAL_SERVER_ERROR.replyTo(iq, "The session registry is not available", true), CLIENT_NS);
            return;
        }
        ClientSession bound = new ClientSession(owner, full, id, worker, this);
        switch (registry.bind(bound, owner.conflictPolicy())) {
            case SessionRegistry.Binding.Conflict c -> {
                conn.write(StanzaError.CONFLICT.replyTo(iq, "The resource is in use", true), CLIENT_NS);
                return;
            }
            case SessionRegistry.Binding.Bound b when b.replaced() != null ->
                    b.replaced().close(StreamError.CONFLICT, "Replaced by a new session for the same resource");
            case SessionRegistry.Binding.Bound b -> { }
        }
        session = bound;
        conn.write(result(iq, Element.builder("bind", BIND_NS).child(Element.builder("jid", BIND_NS).text(full.toString()).build()).build()), CLIENT_NS);
        LOG.info("Session started: {} from {}", full, conn.remoteAddress());
        owner.event("strata/session/STARTED", Map.of("jid", full.toString(), "ip", conn.remoteAddress().getAddress().getHostAddress()));
    }

    // --- the session's outbound path ------------------------------------------------------------

    /** Writes a stanza for the session attached to this stream. */
    void write(Element stanza) {
        if (open) conn.write(stanza, CLIENT_NS);
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
        return conn.tlsProtocol().orElse("no TLS") + (mechanism == null ? "" : ", " + mechanism) + (conn.isCompressed() ? ", zlib" : "");
    }

    @Override
    public String toString() {
        ClientSession s = session;
        return "c2s " + id + " " + (s != null ? s.jid() : conn.remoteAddress());
    }
}
