package dev.strata.stream.internal;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.Jid;
import dev.strata.api.module.SessionFilter;
import dev.strata.api.stanza.Presence;
import dev.strata.api.stanza.Router;
import dev.strata.api.stanza.Session;
import dev.strata.api.stanza.SessionRegistry;
import dev.strata.api.stanza.StreamError;
import dev.strata.api.stream.StreamAcks;
import dev.strata.api.xml.Element;

/**
 * A bound client session, apart from the connection that carries it: its JID, attributes, the
 * ordered worker its stanzas are handled on, and the outbound path through the session filters to
 * the stream attached now. A stream attaches at bind and detaches when its connection goes; the
 * session then ends, unless a {@link SessionLifecycle} keeps it for a while, during which a new
 * stream may {@link #attach} to it (stream management resumption).
 */
final class ClientSession implements Session {
    private static final Logger LOG = LoggerFactory.getLogger(ClientSession.class);

    private final C2sStreams owner;
    private final Jid jid;
    private final String id;
    /** The worker of the stream attached last: the session's stanzas and tasks run there, in order. */
    private volatile SerialExecutor worker;
    private final Map<String, Object> attributes = new ConcurrentHashMap<>(2);
    private volatile C2sStream stream;
    private volatile InetSocketAddress address;
    private volatile boolean open = true;
    /** Set once by {@link C2sStreams#unbound}: replaced by another session of its JID, or ended. */
    volatile boolean released;
    /** When the connection went while a lifecycle keeps the session (nanoTime), else 0. */
    private volatile long detachedSince;
    /** XEP-0198 counts, once the client enabled stream management; also the attribute {@link StreamAcks#ATTRIBUTE}. */
    private volatile StreamAcks acks;
    /** Stanzas that came once {@link StreamAcks#maxUnacked} were pending, while the session ends; under this lock. */
    private final List<StreamAcks.Unacked> overflow = new ArrayList<>(0);

    ClientSession(C2sStreams owner, Jid jid, String id, C2sStream stream) {
        this.owner = owner;
        this.jid = jid;
        this.id = id;
        attach(stream);
    }

    /** A stream carries this session from now on; false when the session ended or has a stream. */
    synchronized boolean attach(C2sStream s) {
        if (!open || (stream != null && stream != s)) return false;
        stream = s;
        worker = s.worker();
        address = s.connection().remoteAddress();
        detachedSince = 0;
        return true;
    }

    /**
     * Stream management resumption: {@code s} carries this session from now on, whether or not
     * another stream does now (returned, for the caller to close). Writes {@code answer} and then the
     * unacknowledged stanzas, under the lock {@link #send} writes under, so nothing newer overtakes them.
     * @throws IllegalStateException when the session has ended
     */
    synchronized C2sStream takeOver(C2sStream s, Element answer) {
        if (!open) throw new IllegalStateException("ended");
        C2sStream before = stream;
        stream = s;
        worker = s.worker();
        address = s.connection().remoteAddress();
        detachedSince = 0;
        if (answer != null) s.write(answer);
        StreamAcks a = acks;
        if (a != null) for (Element e : a.unacked()) s.write(e);
        return before == s ? null : before;
    }

    /** XEP-0198: counts start, atomically with writing {@code answer}; false when they had started already. */
    synchronized boolean startCounting(StreamAcks a, C2sStream s, Element answer) {
        if (acks != null) return false;
        acks = a;
        attribute(StreamAcks.ATTRIBUTE, a);
        if (answer != null) s.write(answer);
        return true;
    }

    StreamAcks acks() {
        return acks;
    }

    /**
     * The stream's connection is gone: the session ends (and if it still held its JID, not replaced
     * meanwhile, its presence goes unavailable, RFC 6121 §4.6), unless it may be kept (the connection
     * was lost, not closed) and a lifecycle keeps it.
     */
    void detach(C2sStream s, String lost, boolean keepable) {
        synchronized (this) {
            if (stream != s) return;
            stream = null;
        }
        // once the client stream module stops (server shutdown, unload), no session waits for a connection: each ends
        // now, while routing and storage still take what its client never acknowledged
        String stopping = owner.stopping();
        String reason = stopping != null && keepable ? lost + "; " + stopping : lost;
        Duration keep = open && keepable && stopping == null ? owner.keepDetached(this, reason) : Duration.ZERO;
        if (!keep.isZero()) detachedSince = System.nanoTime();
        if (keep.isZero()) {
            end(reason);
            return;
        }
        long since = detachedSince;
        LOG.info("Session {} lost its connection ({}); kept {} s for a new one", jid, reason, keep.toSeconds());
        CompletableFuture.delayedExecutor(keep.toMillis(), TimeUnit.MILLISECONDS).execute(() -> worker.execute(() -> {
            if (stream == null && detachedSince == since) end("no connection came back within " + keep.toSeconds() + " s (" + reason + ")");
        }));
    }

    private void end(String reason) {
        synchronized (this) {
            if (!open) return;
            open = false;
        }
        owner.ending(1);
        try {
            ended(reason);
        } finally {
            owner.ending(-1);
        }
    }

    private void ended(String reason) {
        owner.unbound(this);
        SessionRegistry registry = owner.registry();
        boolean held = registry != null && registry.unbind(this);
        if (held) goneUnavailable();
        owner.ended(this, reason); // a module may release what it held into the session now: counted below
        StreamAcks a = acks;
        if (a != null) {
            List<StreamAcks.Unacked> left;
            synchronized (this) {
                left = new ArrayList<>(a.drain());
                left.addAll(overflow);
                overflow.clear();
            }
            Unacknowledged.reroute(this, left, owner.router());
        }
        owner.event("strata/session/ENDED", Map.of("jid", jid.toString(), "reason", reason));
        LOG.info("Session ended: {} ({}{})", jid, reason, held ? "" : "; replaced");
    }

    /** RFC 6121 §4.6: the server sends unavailable presence for a client that went away without it. */
    private void goneUnavailable() {
        Router router = owner.router();
        if (router == null || attribute(Presence.ATTRIBUTE) == null) return;
        try {
            router.route(Element.builder("presence", C2sStream.CLIENT_NS).attribute("type", "unavailable").attribute("from", jid.toString()).build(), this);
        } catch (RuntimeException e) {
            LOG.error("Unavailable presence for {} failed", jid, e);
        }
    }

    /** A stanza the client sent, on the worker: the session filters see it, then the router. */
    void inbound(Element stanza, Router router) {
        owner.metrics().in(stanza);
        for (SessionFilter f : owner.sessionFilters()) {
            try {
                f.inbound(this, stanza);
            } catch (RuntimeException e) {
                LOG.error("Session filter {} failed on a {} from {}", f.getClass().getName(), stanza.name(), jid, e);
            }
        }
        router.route(stanza, this);
    }

    @Override
    public Jid jid() {
        return jid;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return address;
    }

    @Override
    public void send(Element stanza) {
        if (!open) return;
        owner.metrics().out(stanza);
        Element out = stanza;
        for (SessionFilter f : owner.sessionFilters()) {
            try {
                out = f.outbound(this, out);
            } catch (RuntimeException e) {
                LOG.error("Session filter {} failed on a {} to {}; not sent", f.getClass().getName(), stanza.name(), jid, e);
                return;
            }
            if (out == null) return;
        }
        StreamAcks a = acks;
        if (a == null) {
            C2sStream s = stream;
            if (s != null) s.write(out);
            else LOG.debug("{} to {} not written: no connection attached (a session filter may keep it)", stanza.name(), jid);
            return;
        }
        counted(a, List.of(out));
    }

    @Override
    public void release(List<Element> held) {
        if (held.isEmpty()) return;
        StreamAcks a = acks;
        if (a != null) {
            // counted even once the session ended: what a lifecycle releases at its end goes where the unacknowledged go
            counted(a, held);
        } else {
            C2sStream s = stream;
            if (s != null && open) s.write(held);
        }
    }

    /** Set when the session was closed for too many unacknowledged stanzas. */
    private volatile boolean overflowClosing;

    /**
     * XEP-0198: stanzas counted and written under one lock, so the client's count and ours agree on
     * every stanza's place; written only while the session is open and has a connection. Past
     * {@link StreamAcks#maxUnacked} a stanza is not counted: it goes where the unacknowledged ones
     * go when the session ends (not now, or the router could hand it back to this session while it
     * is still available), and the session ends.
     */
    private void counted(StreamAcks a, List<Element> stanzas) {
        boolean full = false;
        synchronized (this) {
            List<Element> out = new ArrayList<>(stanzas.size());
            boolean request = false;
            for (Element e : stanzas) {
                switch (a.sent(e)) {
                    case FULL -> {
                        overflow.add(new StreamAcks.Unacked(e, System.currentTimeMillis()));
                        full = true;
                    }
                    case REQUEST -> {
                        request = true;
                        out.add(e);
                    }
                    case COUNTED -> out.add(e);
                }
            }
            C2sStream s = stream;
            if (s != null && open && !out.isEmpty()) {
                if (out.size() == 1) s.write(out.getFirst());
                else s.write(out);
                if (request) s.write(C2sStream.ACK_REQUEST);
            }
        }
        if (full && open && !overflowClosing) {
            tooManyUnacked(a);
        } else if (!full && a.pending() > a.maxUnacked()) {
            watchAcks(a);
        }
    }

    /** Set while a check of a session past max.unacked is scheduled. */
    private final AtomicBoolean ackWatch = new AtomicBoolean();

    /**
     * More than max.unacked wait for the client's ack (a burst it has not answered yet: offline
     * messages, a big roster's presence): once the oldest has waited the ack timeout, the session
     * ends unless the client acknowledged enough meanwhile, also when nothing more is sent to it.
     */
    private void watchAcks(StreamAcks a) {
        if (!ackWatch.compareAndSet(false, true)) return;
        CompletableFuture.delayedExecutor(a.ackTimeout().toMillis() + 1, TimeUnit.MILLISECONDS).execute(() -> worker.execute(() -> {
            ackWatch.set(false);
            if (!open || overflowClosing || acks != a) return;
            if (a.overdue(System.currentTimeMillis())) tooManyUnacked(a);
            else if (a.pending() > a.maxUnacked()) watchAcks(a);
        }));
    }

    /** The client left too many stanzas unacknowledged: the session ends (policy-violation), once. */
    private void tooManyUnacked(StreamAcks a) {
        overflowClosing = true; // once: what comes while the stream closes joins the overflow quietly
        int pending = a.pending();
        String why = pending >= a.hardMax() ? "More than " + a.hardMax() + " stanzas are unacknowledged (XEP-0198)"
                : "More than " + a.maxUnacked() + " stanzas are unacknowledged (XEP-0198), the oldest for " + a.ackTimeout().toSeconds() + " s or more";
        LOG.info("{} left {} stanzas unacknowledged; its session ends: {}", jid, pending, why);
        close(StreamError.POLICY_VIOLATION, why);
    }

    @Override
    public void close(StreamError error, String text) {
        C2sStream s = stream;
        if (s != null) s.close(error, text);
        else worker.execute(() -> end("stream error " + error.condition() + " (no connection attached): " + text));
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public boolean isConnected() {
        return stream != null;
    }

    @Override
    public Object attribute(String key) {
        return attributes.get(key);
    }

    @Override
    public void attribute(String key, Object value) {
        if (value == null) attributes.remove(key);
        else attributes.put(key, value);
    }

    @Override
    public void execute(Runnable task) {
        worker.execute(task);
    }

    /** Tasks waiting on this session's worker. */
    int pendingTasks() {
        SerialExecutor w = worker;
        return w == null ? 0 : w.pending();
    }

    /** The kind of connection the session has now ({@code tcp}, {@code websocket}, {@code bosh}), or {@code detached}. */
    String transportKind() {
        C2sStream s = stream;
        return s == null ? "detached" : s.connection().kind();
    }

    String streamInfo() {
        C2sStream s = stream;
        return s == null ? "no connection" : s.tlsInfo();
    }

    @Override
    public String toString() {
        return "session " + id + " " + jid;
    }
}
