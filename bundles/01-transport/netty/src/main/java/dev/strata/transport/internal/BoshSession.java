package dev.strata.transport.internal;

import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.stanza.StreamError;
import dev.strata.api.transport.Connection;
import dev.strata.api.transport.StreamHandler;
import dev.strata.api.transport.StreamHeader;
import dev.strata.api.xml.Attribute;
import dev.strata.api.xml.Element;
import dev.strata.api.xml.XmlEvent;
import dev.strata.api.xml.XmlWriter;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;

/**
 * One XMPP over BOSH session (XEP-0124 1.11, XEP-0206 1.4): the {@link Connection} the stream layer
 * writes to, fed by HTTP requests that may come over any number of connections. Requests are taken
 * in {@code rid} order (one that arrives early waits for the gap to fill, within the {@code requests}
 * window); each is held until there is something to send or {@code wait} passes, at most
 * {@code hold} at a time; a request already answered gets the same answer again (§14.3); a session
 * without a request for {@code inactivity} seconds (or its {@code pause}) ends. The same stream layer
 * as TCP: the request's {@code <body/>} stands for the stream header at creation and at each
 * {@code xmpp:restart} (XEP-0206 §5). Guarded by its own monitor; nothing inside blocks.
 */
final class BoshSession implements Connection {
    private static final Logger LOG = LoggerFactory.getLogger(BoshSession.class);
    static final String NS = "http://jabber.org/protocol/httpbind";
    static final String XBOSH = "urn:xmpp:xbosh";
    private static final SecureRandom RANDOM = new SecureRandom();

    /** An HTTP request waiting for its answer; {@code answer} writes it. */
    interface Reply {
        void send(String body);
    }

    private record Held(long rid, Reply reply, ScheduledFuture<?> timer) {
    }

    /** A request that came before its turn. */
    private record Early(long rid, Element body, List<Element> children, Reply reply) {
    }

    final String sid = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes());
    private final HttpTransport.Config config;
    private final Map<String, BoshSession> registry;
    private final Runnable released;
    private final EventExecutor timers;
    private final InetSocketAddress remote;
    private final boolean tls, trusted;
    private final String tlsProtocol, serverName;
    private final int wait, hold, requests, inactivity, maxPause;
    private final long maxOutbound;
    private StreamHandler handler;

    private long lastRid;
    private final TreeMap<Long, Early> early = new TreeMap<>();
    private final ArrayDeque<Held> held = new ArrayDeque<>();
    /** The last answers by rid, for a client that sends a request again (§14.3). */
    private final LinkedHashMap<Long, String> answered = new LinkedHashMap<>();
    private final StringBuilder out = new StringBuilder();
    private boolean created;
    private String streamId, from;
    /** The terminating {@code <body/>}'s attributes and content once the session ends; sent with the next answer. */
    private String terminal;
    private boolean ended;
    private int pauseSeconds;
    private ScheduledFuture<?> inactivityTimer;
    private String reason = "the BOSH session ended";
    private boolean told;
    private boolean terminating;

    private static byte[] bytes() {
        byte[] b = new byte[18];
        RANDOM.nextBytes(b);
        return b;
    }

    /**
     * @param registry the sessions by sid, this one left out when it ends
     * @param released run once when it ends (its admission released)
     * @param timers where the wait and inactivity timers run
     */
    BoshSession(HttpTransport.Config config, Map<String, BoshSession> registry, Runnable released, EventExecutor timers, InetSocketAddress remote,
                boolean tls, String tlsProtocol, String serverName, boolean trusted, int wait, int hold, long maxOutbound) {
        this.config = config;
        this.registry = registry;
        this.released = released;
        this.timers = timers;
        this.remote = remote;
        this.tls = tls;
        this.tlsProtocol = tlsProtocol;
        this.serverName = serverName;
        this.trusted = trusted;
        this.wait = wait;
        this.hold = hold;
        this.requests = hold + 1;
        this.inactivity = config.bosh_inactivity();
        this.maxPause = config.bosh_max_pause();
        this.maxOutbound = maxOutbound;
    }

    /** The stream layer's handler; set once, before the first request. */
    void attach(StreamHandler h) {
        this.handler = h;
    }

    /** The session creation request (XEP-0124 §7): opens the stream as its header would. */
    synchronized void create(long rid, Element body, Reply reply) {
        lastRid = rid;
        handler.opened(header(body));
        hold(rid, reply);
    }

    /** Any later request of this session. */
    synchronized void request(long rid, Element body, List<Element> children, Reply reply) {
        if (ended && terminal == null) {
            reply.send(terminate("item-not-found", ""));
            return;
        }
        if (rid <= lastRid) { // sent again: the same answer (§14.3), or this request takes the place of the one held
            String again = answered.get(rid);
            if (again != null) {
                reply.send(again);
                return;
            }
            for (Held h : held) {
                if (h.rid() == rid) {
                    held.remove(h);
                    h.timer().cancel(false);
                    hold(rid, reply);
                    return;
                }
            }
            reply.send(terminate("item-not-found", ""));
            end("rid " + rid + " was answered long ago");
            return;
        }
        if (rid > lastRid + requests) { // §14.2: beyond the window
            reply.send(terminate("item-not-found", ""));
            end("rid " + rid + " is beyond the window (last " + lastRid + ", " + requests + " requests)");
            return;
        }
        if (rid != lastRid + 1) {
            early.put(rid, new Early(rid, body, children, reply));
            return;
        }
        take(rid, body, children, reply);
        Early next;
        while ((next = early.remove(lastRid + 1)) != null) take(next.rid(), next.body(), next.children(), next.reply());
    }

    private void take(long rid, Element body, List<Element> children, Reply reply) {
        lastRid = rid;
        if (inactivityTimer != null) inactivityTimer.cancel(false);
        if ("true".equals(body.attribute(XBOSH, "restart"))) handler.opened(header(body)); // XEP-0206 §5
        for (Element e : children) handler.element(e);
        if ("terminate".equals(body.attribute("type"))) {
            reason = "the client terminated the BOSH session";
            terminating = true; // its answer is the terminating one, with whatever comes until the stream layer closed
            handler.closed(); // the stream layer closes its side: the terminating answer
        }
        String pause = body.attribute("pause");
        if (pause != null) { // §10: every held request is answered; the session waits that long for the next
            pauseSeconds = Math.min(maxPause, parse(pause, inactivity));
            while (!held.isEmpty()) answer(held.poll(), "");
        }
        hold(rid, reply);
    }

    private void hold(long rid, Reply reply) {
        ScheduledFuture<?> timer = timers.schedule(() -> expire(rid), wait, TimeUnit.SECONDS);
        held.add(new Held(rid, reply, timer));
        while (held.size() > Math.max(hold, 0)) answer(held.poll(), drain());
        flush();
    }

    /** What waits to be sent, taken. */
    private String drain() {
        String s = out.toString();
        out.setLength(0);
        return s;
    }

    private synchronized void expire(long rid) {
        for (Held h : held) {
            if (h.rid() == rid) {
                held.remove(h);
                answer(h, drain());
                return;
            }
        }
    }

    /** Answers the held requests, oldest first, while anything waits. */
    private void flush() {
        while (!held.isEmpty() && (terminal != null || !out.isEmpty() && !terminating) && (created || streamId != null) && !ended) {
            answer(held.poll(), drain());
        }
    }

    private void answer(Held h, String content) {
        h.timer().cancel(false);
        String body;
        if (terminal != null && held.isEmpty() && early.isEmpty()) {
            body = "<body xmlns='" + NS + "' type='terminate'" + terminal.replace("\u0000", content);
            terminal = null;
            ended = true;
        } else {
            body = open() + ">" + content + "</body>";
        }
        answered.put(h.rid(), body);
        while (answered.size() > requests) answered.remove(answered.firstEntry().getKey());
        h.reply().send(body);
        if (ended) {
            end(reason);
        } else if (held.isEmpty()) {
            int seconds = pauseSeconds > 0 ? pauseSeconds : inactivity;
            pauseSeconds = 0;
            inactivityTimer = timers.schedule(this::inactive, seconds, TimeUnit.SECONDS);
        }
    }

    /** The answer's start tag: the session's attributes on the first (§7.1). */
    private String open() {
        StringBuilder sb = new StringBuilder("<body xmlns='").append(NS).append("' xmlns:stream='").append(TcpFraming.STREAMS_NS).append('\'');
        if (!created) {
            created = true;
            sb.append(" xmlns:xmpp='").append(XBOSH).append("' sid='").append(sid).append("' wait='").append(wait).append("' requests='")
                    .append(requests).append("' hold='").append(hold).append("' inactivity='").append(inactivity).append("' polling='")
                    .append(config.bosh_polling()).append("' maxpause='").append(maxPause).append("' ver='1.11' xmpp:version='1.0' xmpp:restartlogic='true'");
            if (from != null) attribute(sb, "from", from);
            if (streamId != null) attribute(sb, "authid", streamId);
        }
        return sb.toString();
    }

    private static void attribute(StringBuilder sb, String name, String value) {
        sb.append(' ').append(name).append("=\"");
        XmlWriter.escapeAttribute(value, sb);
        sb.append('"');
    }

    private synchronized void inactive() {
        if (!held.isEmpty() || ended) return;
        end("no BOSH request for " + inactivity + " s (inactivity)");
    }

    /** The session is over: forgotten, and the stream layer told once. */
    private void end(String why) {
        if (inactivityTimer != null) inactivityTimer.cancel(false);
        for (Held h : held) h.timer().cancel(false);
        ended = true;
        registry.remove(sid, this);
        if (!told) {
            told = true;
            released.run();
            LOG.debug("BOSH session {} from {} ended: {}", sid, remote, why);
            handler.disconnected(why);
        }
    }

    /** A terminating answer outside the session (§17.2). */
    static String terminate(String condition, String content) {
        return "<body xmlns='" + NS + "' type='terminate'" + (condition == null ? "" : " condition='" + condition + "'") + ">" + content + "</body>";
    }

    /** The body's attributes as the stream header RFC 6120 §4.7 checks (XEP-0206 §4 and §5): to, xml:lang, and xmpp:version as version. */
    private static XmlEvent.StreamOpen header(Element body) {
        List<Attribute> attributes = new java.util.ArrayList<>();
        for (Attribute a : body.attributes()) {
            if (a.namespace().isEmpty() && a.name().equals("to") || a.name().equals("lang") && a.namespace().equals(TcpFraming.XML_NS)) attributes.add(a);
        }
        String version = body.attribute(XBOSH, "version");
        attributes.add(new Attribute("", "version", version == null ? "1.0" : version));
        return TcpFraming.clientStreamOpen(attributes);
    }

    static int parse(String s, int otherwise) {
        try {
            return Integer.parseInt(s.strip());
        } catch (RuntimeException e) {
            return otherwise;
        }
    }

    /** The server ends the session (shutdown, transport stopped). */
    synchronized void shutdown(String why) {
        reason = why;
        if (terminal == null && !ended) terminal = " condition='system-shutdown'>\u0000</body>";
        flush();
        if (!ended) end(why);
    }

    // --- Connection ---------------------------------------------------------------------------

    @Override
    public String kind() {
        return "bosh";
    }

    @Override
    public boolean byteStream() {
        return false;
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return remote;
    }

    @Override
    public boolean isSecure() {
        return tls || trusted;
    }

    @Override
    public Optional<String> tlsProtocol() {
        return Optional.ofNullable(tlsProtocol);
    }

    @Override
    public Optional<String> serverName() {
        return Optional.ofNullable(serverName);
    }

    @Override
    public synchronized void write(String text) {
        queue(text);
    }

    private void queue(String xml) {
        if (ended || terminal != null) return;
        out.append(xml);
        if (out.length() > maxOutbound) {
            out.setLength(0);
            reason = "the client does not fetch what waits for it: more than " + maxOutbound + " bytes (max.outbound.bytes)";
            LOG.warn("Ending BOSH session {} of {}: {}", sid, remote, reason);
            terminal = streamErrorTerminal(StreamError.POLICY_VIOLATION, "Too much undelivered data: the client does not fetch it");
        }
        flush();
    }

    @Override
    public synchronized void openStream(StreamHeader header, List<Element> features) {
        streamId = header.id();
        from = header.from();
        StringBuilder sb = new StringBuilder("<stream:features>");
        for (Element f : features) sb.append(XmlWriter.toString(f, ""));
        queue(sb.append("</stream:features>").toString());
        flush(); // the creation answer may go now, features or not
    }

    @Override
    public synchronized void streamError(StreamHeader header, StreamError error, String text) {
        if (streamId == null && header != null) streamId = header.id();
        if (ended || terminal != null) return;
        reason = "stream error " + error.condition();
        terminal = streamErrorTerminal(error, text);
        flush();
    }

    /** XEP-0206 §7: a stream error ends the session with remote-stream-error, the error inside. */
    private static String streamErrorTerminal(StreamError error, String text) {
        return " condition='remote-stream-error' xmlns:stream='" + TcpFraming.STREAMS_NS + "'>\u0000" + WebSocketFraming.error(error, text) + "</body>";
    }

    @Override
    public synchronized void closeStream(StreamHeader header) {
        if (ended || terminal != null) return;
        terminal = ">\u0000</body>";
        flush();
    }

    @Override
    public synchronized void write(Element element, String contextNamespace) {
        queue(XmlWriter.toString(element, NS)); // inside <body xmlns=httpbind>: a stanza declares jabber:client
    }

    @Override
    public synchronized void write(List<Element> elements, String contextNamespace) {
        StringBuilder sb = new StringBuilder();
        for (Element e : elements) sb.append(XmlWriter.toString(e, NS));
        queue(sb.toString());
    }

    @Override
    public void startTls(Element proceed, Runnable done) {
        throw new UnsupportedOperationException("No STARTTLS over BOSH (XEP-0206 §4)");
    }

    @Override
    public void startCompression(Element compressed, Runnable done) {
        throw new UnsupportedOperationException("No XEP-0138 compression over BOSH");
    }

    @Override
    public boolean isCompressed() {
        return false;
    }

    @Override
    public void resetStream() {
        // a restart is a request with xmpp:restart
    }

    @Override
    public Optional<byte[]> channelBinding(String type) {
        return Optional.empty(); // requests may come over different TLS connections: nothing to bind to
    }

    @Override
    public void pauseReading() {
        // requests are bounded by the window: the client waits for answers
    }

    @Override
    public void resumeReading() {
    }

    @Override
    public synchronized void close() {
        closeStream(null);
    }

    @Override
    public void closeGracefully() {
        close();
    }

    /** An HTTP connection holding one of this session's requests went away: the client sends it again. */
    synchronized void abandoned(Reply reply) {
        held.removeIf(h -> {
            if (h.reply() != reply) return false;
            h.timer().cancel(false);
            return true;
        });
        if (held.isEmpty() && !ended) {
            if (inactivityTimer != null) inactivityTimer.cancel(false);
            inactivityTimer = timers.schedule(this::inactive, inactivity, TimeUnit.SECONDS);
        }
    }
}
