package dev.strata.s2s;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.stanza.Origin;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StreamError;
import dev.strata.api.transport.Connection;
import dev.strata.api.transport.Dialer;
import dev.strata.api.transport.StreamHandler;
import dev.strata.api.transport.StreamHeader;
import dev.strata.api.xml.Element;
import dev.strata.api.xml.XmlEvent;
import dev.strata.api.xml.XmlException;

/**
 * The stream this server opens from one of its domains to another server's (RFC 6120 as the
 * initiating entity): connect to the first reachable address ({@link Resolver}), open the stream,
 * STARTTLS (required unless {@code require.encryption} is off), then authenticate with dialback
 * (XEP-0220: our key for the stream id the peer gave); once the peer says valid, what was queued
 * goes out in order and later stanzas go straight to the connection. The same stream carries this
 * server's {@code <db:verify/>} questions to the peer as authoritative server, as soon as TLS is up.
 * Failing to connect or to authenticate within {@code setup.timeout} bounces what was queued.
 */
final class OutboundStream implements StreamHandler {
    private static final Logger LOG = LoggerFactory.getLogger(OutboundStream.class);
    static final String STREAMS = "http://etherx.jabber.org/streams", TLS = "urn:ietf:params:xml:ns:xmpp-tls", SASL = "urn:ietf:params:xml:ns:xmpp-sasl";
    /** XEP-0288: the stream feature, and the request. */
    static final String BIDI_FEATURE = "urn:xmpp:features:bidi", BIDI = "urn:xmpp:bidi";

    enum State { IDLE, CONNECTING, NEGOTIATING, AUTHENTICATING, READY, CLOSED }

    /** How the stream authenticated: SASL EXTERNAL with our certificate, or dialback. */
    private String method;
    /** SASL EXTERNAL went through (the stream restarted after it), or the peer refused it (then dialback). */
    private boolean externalDone, externalFailed;
    /** XEP-0288: the peer sends to us over this stream too (we asked, it offered). */
    private boolean bidi;
    /** Stanzas sent to and taken from the peer ({@code s2s:list}). */
    private long in, out;
    private dev.strata.api.transport.OrderedIntake intake;

    private record Pending(Element stanza, Origin from) {
    }

    private final ServerStreams s2s;
    private final Dialer dialer;
    final String local, remote;
    private State state = State.IDLE;
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    /** Stream id to the answers awaited from the peer as authoritative server; and questions not sent yet. */
    private final Map<String, CompletableFuture<Boolean>> verifying = new HashMap<>();
    private final List<Element> unsentVerifies = new ArrayList<>();
    private boolean canVerify;
    private Connection conn;
    private String streamId;
    private ScheduledFuture<?> setupTimer;
    private String address;

    OutboundStream(ServerStreams s2s, Dialer dialer, String local, String remote) {
        this.s2s = s2s;
        this.dialer = dialer;
        this.local = local;
        this.remote = remote;
    }

    private StreamHeader header() {
        return new StreamHeader(local, null, StreamHeader.SERVER, remote);
    }

    /** A stanza for the remote domain: written now when the stream is authenticated, queued (and the stream set up) otherwise. */
    synchronized void send(Element stanza, Origin from) {
        if (state == State.READY) {
            out++;
            conn.write(stanza, StreamHeader.CLIENT); // written without xmlns: the stream's default, jabber:server
            return;
        }
        if (state == State.CLOSED) {
            s2s.stream(local, remote).send(stanza, from);
            return;
        }
        if (queue.size() >= s2s.config.max_queued()) {
            ServerStreams.bounce(stanza, from, StanzaError.RESOURCE_CONSTRAINT, "Too many stanzas wait for the connection to " + remote);
            return;
        }
        queue.add(new Pending(stanza, from));
        if (state == State.IDLE) connect();
    }

    /** Asks the peer, as authoritative server, about a key one of its streams to us presented. */
    synchronized CompletionStage<Boolean> verify(String id, String key) {
        CompletableFuture<Boolean> answer = verifying.computeIfAbsent(id, k -> new CompletableFuture<>());
        Element ask = Element.builder("verify", Dialback.NS).attribute("from", local).attribute("to", remote).attribute("id", id).text(key).build();
        if (canVerify && state != State.CLOSED) conn.write(Dialback.toXml(ask));
        else unsentVerifies.add(ask);
        if (state == State.IDLE) connect();
        if (state == State.CLOSED) answer.completeExceptionally(new IllegalStateException("The stream to " + remote + " closed"));
        return answer;
    }

    private void connect() {
        state = State.CONNECTING;
        setupTimer = s2s.timers.schedule(() -> fail(StanzaError.REMOTE_SERVER_TIMEOUT, "The stream to " + remote + " was not ready within "
                + s2s.config.setup_timeout() + " s" + (address == null ? "" : " (connected to " + address + ")")), s2s.config.setup_timeout(), TimeUnit.SECONDS);
        s2s.connecting.execute(this::dial);
    }

    /** Tries each address of each target in turn (on a virtual thread: DNS and connecting block). */
    private void dial() {
        List<Resolver.Target> targets;
        try {
            targets = s2s.resolver.targets(remote);
        } catch (Resolver.NoService e) {
            fail(StanzaError.REMOTE_SERVER_NOT_FOUND, e.getMessage());
            return;
        }
        StringBuilder tried = new StringBuilder();
        for (Resolver.Target t : targets) {
            List<InetSocketAddress> addresses;
            try {
                addresses = s2s.resolver.addresses(t);
            } catch (java.net.UnknownHostException e) {
                tried.append(t.host()).append(": no address; ");
                continue;
            }
            for (InetSocketAddress a : addresses) {
                try {
                    dialer.dial(a, t.directTls(), local, remote, s2s.config.connect_timeout() * 1000, c -> opened(c, a, t.directTls())).toCompletableFuture()
                            .get(s2s.config.connect_timeout() + 1L, TimeUnit.SECONDS);
                    return;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                } catch (Exception e) {
                    Throwable cause = e instanceof java.util.concurrent.ExecutionException && e.getCause() != null ? e.getCause() : e;
                    tried.append(a).append(": ").append(cause.getMessage()).append("; ");
                }
            }
        }
        fail(StanzaError.REMOTE_SERVER_NOT_FOUND, "Cannot connect to " + remote + " (DNS, or strata.s2s hosts): " + tried.substring(0, Math.max(0, tried.length() - 2)));
    }

    /** The transport connected: this is the connection's handler; our stream header goes first. */
    private synchronized StreamHandler opened(Connection c, InetSocketAddress a, boolean directTls) {
        conn = c;
        address = a + (directTls ? " direct TLS" : "");
        state = State.NEGOTIATING;
        c.openStream(header(), List.of());
        LOG.debug("Connected to {} for {} -> {}", a, local, remote);
        return this;
    }

    @Override
    public synchronized void opened(XmlEvent.StreamOpen open) {
        streamId = open.header().attribute("id");
        String version = open.header().attribute("version");
        if (streamId == null) {
            abort(StreamError.INVALID_XML, "The stream header from " + remote + " has no id (dialback needs one)");
            return;
        }
        if (version == null || !version.startsWith("1.")) {
            // a pre-RFC 6120 server sends no features: dialback at once, if unencrypted streams are allowed at all
            if (s2s.config.require_encryption()) abort(StreamError.POLICY_VIOLATION, remote + " does not speak XMPP 1.0, so it cannot encrypt");
            else authenticate();
        }
    }

    @Override
    public synchronized void element(Element e) {
        if (state == State.CLOSED) return;
        if (e.is("features", STREAMS)) {
            features(e);
        } else if (e.is("proceed", TLS)) {
            conn.startTlsAsClient(local, remote, () -> {
                synchronized (this) {
                    if (state != State.CLOSED) conn.openStream(header(), List.of());
                }
            });
        } else if (e.is("failure", TLS)) {
            abort(null, remote + " could not start TLS");
        } else if (e.is("success", SASL) && state == State.AUTHENTICATING && method == null) {
            // RFC 6120 §6.4.6: authenticated; a new stream over the same TLS
            externalDone = true;
            conn.resetStream();
            conn.openStream(header(), List.of());
        } else if (e.is("failure", SASL) && state == State.AUTHENTICATING && method == null) {
            externalFailed = true;
            String why = e.firstChild().map(Element::name).orElse("failure");
            LOG.info("{} refused SASL EXTERNAL for {} ({}); dialback instead", remote, local, why);
            authenticate();
        } else if (e.is("result", Dialback.NS)) {
            result(e);
        } else if (e.is("verify", Dialback.NS)) {
            CompletableFuture<Boolean> answer = verifying.remove(e.attribute("id"));
            if (answer != null) answer.complete("valid".equals(e.attribute("type")));
        } else if (e.is("error", STREAMS)) {
            LOG.warn("Stream error from {} ({} -> {}): {}", remote, local, remote, e.toXml());
            fail(StanzaError.REMOTE_SERVER_NOT_FOUND, remote + " ended the stream: " + e.elements().map(Element::name).findFirst().orElse("?"));
        } else if (bidi && state == State.READY && (e.name().equals("message") || e.name().equals("presence") || e.name().equals("iq"))) {
            fromPeer(e);
        } else {
            LOG.debug("Ignored on the stream to {}: {}", remote, e.name());
        }
    }

    /** XEP-0288: a stanza the peer sent back over our stream: only from its domain to ours, in order, as an inbound stream's. */
    private void fromPeer(Element element) {
        Element stanza = InboundStream.toClient(element);
        ServerStreams.Addresses addresses;
        try {
            addresses = ServerStreams.addresses(stanza);
        } catch (IllegalArgumentException e) {
            abort(StreamError.IMPROPER_ADDRESSING, e.getMessage());
            return;
        }
        dev.strata.api.Jid from = addresses.from(), to = addresses.to();
        if (!from.domain().equals(remote)) {
            abort(StreamError.INVALID_FROM, from.domain() + " is not the domain authenticated on this stream (" + remote + ")");
            return;
        }
        if (!to.domain().equals(local)) {
            abort(StreamError.HOST_UNKNOWN, to.domain() + " is not the domain of this stream (" + local + ")");
            return;
        }
        if (intake == null) intake = new dev.strata.api.transport.OrderedIntake(conn, "strata-s2s-bidi " + remote);
        in++;
        s2s.take(intake, stanza, from);
    }

    private void features(Element features) {
        boolean tls = features.child("starttls", TLS).isPresent();
        if (!conn.isSecure()) {
            if (tls) {
                conn.write(Element.of("starttls", TLS), StreamHeader.SERVER);
                return;
            }
            if (s2s.config.require_encryption()) {
                abort(StreamError.POLICY_VIOLATION, "Encryption is required, and " + remote + " offers no STARTTLS");
                return;
            }
        }
        canVerify = true;
        for (Element ask : unsentVerifies) conn.write(Dialback.toXml(ask));
        unsentVerifies.clear();
        if (externalDone) {
            ready("SASL EXTERNAL");
            return;
        }
        if (state == State.READY) return;
        if (!bidi && features.child("bidi", BIDI_FEATURE).isPresent() && conn.isSecure()) {
            // XEP-0288 §2: asked before authenticating; the peer then answers over this stream instead of opening its own
            bidi = true;
            conn.write(Element.of("bidi", BIDI), StreamHeader.SERVER);
        }
        // RFC 6120 §13.7.2: the receiving server's certificate should be for its domain; without that its identity rests on DNS, where policy allows
        String problem = s2s.certificateProblem(conn, remote);
        if (problem != null && s2s.needsValidCertificate(remote)) {
            abort(StreamError.POLICY_VIOLATION, remote + " must present a valid certificate (strata.s2s): " + problem);
            return;
        }
        if (problem != null) LOG.info("{}: {}; its identity rests on DNS, as with dialback", remote, problem);
        boolean external = features.child("mechanisms", SASL).map(m -> m.elements().anyMatch(x -> x.is("mechanism", SASL) && "EXTERNAL".equals(x.text().strip())))
                .orElse(false);
        if (external && conn.isSecure() && !externalFailed) {
            // XEP-0178 §3: our certificate authenticates us (whatever the peer's own is worth); the authorization identity is our domain
            state = State.AUTHENTICATING;
            conn.write(Element.builder("auth", SASL).attribute("mechanism", "EXTERNAL")
                    .text(java.util.Base64.getEncoder().encodeToString(local.getBytes(java.nio.charset.StandardCharsets.UTF_8))).build(), StreamHeader.SERVER);
            return;
        }
        authenticate();
    }

    /** Authenticated: what was queued goes out in order. */
    private void ready(String how) {
        method = how;
        state = State.READY;
        if (setupTimer != null) setupTimer.cancel(false);
        LOG.info("Server-to-server stream {} -> {} ready ({}, {}, {})", local, remote, address, conn.tlsProtocol().orElse("unencrypted"), how);
        List<Element> out = new ArrayList<>(queue.size());
        for (Pending p : queue) out.add(p.stanza());
        queue.clear();
        this.out += out.size();
        conn.write(out, StreamHeader.CLIENT);
    }

    /** XEP-0220 §2.1.1: our key for this stream. */
    private void authenticate() {
        state = State.AUTHENTICATING;
        conn.write(Dialback.toXml(Element.builder("result", Dialback.NS).attribute("from", local).attribute("to", remote)
                .text(s2s.dialback.key(remote, local, streamId)).build()));
    }

    private void result(Element e) {
        if (!local.equals(e.attribute("to")) || !remote.equals(e.attribute("from"))) {
            LOG.debug("A dialback result for {} -> {} on the stream {} -> {}", e.attribute("from"), e.attribute("to"), local, remote);
            return;
        }
        String type = e.attribute("type");
        if ("valid".equals(type)) {
            ready("dialback");
        } else {
            String why = e.child("error", "jabber:server").or(() -> e.child("error", Dialback.NS)).flatMap(Element::firstChild).map(Element::name).orElse(type);
            abort(null, remote + " refused our dialback (" + why + ")");
        }
    }

    /** Ends the stream (with a stream error when {@code error} is given) and bounces what waits. */
    private void abort(StreamError error, String why) {
        if (conn != null && state != State.CLOSED) {
            if (error != null) conn.streamError(header(), error, why);
            else conn.closeStream(header());
        }
        fail(StanzaError.REMOTE_SERVER_NOT_FOUND, why);
    }

    /** The stream is over before it was ready, or could not be made: what waits bounces, questions fail. */
    private synchronized void fail(StanzaError error, String why) {
        if (state == State.CLOSED || state == State.READY && queue.isEmpty() && verifying.isEmpty()) {
            close();
            return;
        }
        LOG.warn("Server-to-server stream {} -> {} failed: {}", local, remote, why);
        List<Pending> bounced = new ArrayList<>(queue);
        queue.clear();
        close();
        for (Pending p : bounced) ServerStreams.bounce(p.stanza(), p.from(), error, why);
    }

    private void close() {
        state = State.CLOSED;
        if (intake != null) intake.shutdown();
        if (setupTimer != null) setupTimer.cancel(false);
        for (CompletableFuture<Boolean> f : verifying.values()) f.completeExceptionally(new IllegalStateException("The stream to " + remote + " closed"));
        verifying.clear();
        unsentVerifies.clear();
        s2s.gone(this);
    }

    /** The module stops: the stream closes, what waits bounces. */
    synchronized void shutdown(String why) {
        if (conn != null && state != State.CLOSED) conn.closeStream(header());
        fail(StanzaError.REMOTE_SERVER_TIMEOUT, why);
    }

    @Override
    public synchronized void closed() {
        if (conn != null && state != State.CLOSED) conn.closeStream(header());
        fail(StanzaError.REMOTE_SERVER_NOT_FOUND, remote + " closed the stream");
    }

    @Override
    public void failed(XmlException error) {
        abort(StreamError.of(error.condition().streamError()), error.getMessage());
    }

    @Override
    public synchronized void disconnected(String reason) {
        fail(StanzaError.REMOTE_SERVER_NOT_FOUND, "The connection to " + remote + " ended: " + reason);
    }

    /** Silent both ways for the transport's idle timeout: closed; the next stanza opens a new one. */
    @Override
    public synchronized void idle() {
        if (conn != null && state != State.CLOSED) conn.closeStream(header());
        fail(StanzaError.REMOTE_SERVER_TIMEOUT, "idle");
    }

    @Override
    public synchronized String toString() {
        return local + " -> " + remote + " " + state.name().toLowerCase(java.util.Locale.ROOT) + (address == null ? "" : " " + address)
                + (conn == null ? "" : conn.tlsProtocol().map(p -> " " + p).orElse("")) + (method == null ? "" : " " + method)
                + (bidi ? " bidirectional" : "") + ", " + in + " stanzas in, " + out + " out"
                + (queue.isEmpty() ? "" : ", " + queue.size() + " queued");
    }
}
