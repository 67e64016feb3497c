package dev.strata.api.stream;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

import dev.strata.api.xml.Element;

/**
 * The XEP-0198 counts of one client session, kept by the stream layer: stanzas the server handled
 * from the client, and stanzas it sent that the client has not acknowledged yet, in order, each
 * with the time it was sent. A stream-management module makes one at {@code <enable/>} and hands
 * it to {@link Negotiation#startCounting}; from then on the stream layer counts both ways, answers
 * {@code <r/>} and takes {@code <a/>} itself, so reloading or unloading that module changes no
 * count. Kept as the session attribute {@value #ATTRIBUTE}. Thread-safe: every method locks this.
 * Counts are kept in 64 bits and shown as the protocol's 32-bit {@code h}, which wraps around.
 */
public final class StreamAcks {
    /** The session attribute holding a session's acks. */
    public static final String ATTRIBUTE = "urn:xmpp:sm:3";
    public static final String NAMESPACE = "urn:xmpp:sm:3";
    /**
     * {@link dev.strata.api.stanza.StanzaContext} flag on a message the stream layer routes again
     * because the session it went to ended without acknowledging it: modules that copied or
     * archived it the first time (carbons, the archive) leave it alone.
     */
    public static final String RESENT = "strata.stream.resent";
    private static final long MASK = 0xFFFF_FFFFL;

    /** What {@link #sent} made of a stanza. */
    public enum Sent {
        /** Counted; nothing else to do. */
        COUNTED,
        /** Counted, and enough are unacknowledged that the server should ask with {@code <r/>}. */
        REQUEST,
        /**
         * Not counted: the client has left too many unacknowledged ({@link #maxUnacked} for longer
         * than {@link #ackTimeout}, or {@link #hardMax} at all); the session must end (policy-violation).
         */
        FULL
    }

    private final String id;
    private final Duration resumeTimeout;
    private final int maxUnacked;
    private final int hardMax;
    private final long ackTimeoutMillis;
    private final int requestAt;
    private long handled;
    private long acked;
    private boolean requested;
    private final ArrayDeque<Element> unacked = new ArrayDeque<>();
    private final ArrayDeque<Long> sentAt = new ArrayDeque<>();

    /**
     * @param id the resumption id ({@code <enabled id/>}), or null when the session may not be resumed
     * @param resumeTimeout how long a session without a connection waits to be resumed (zero without an id)
     * @param maxUnacked most stanzas left unacknowledged before the session ends
     * @param requestAt unacknowledged stanzas at which the server asks for an ack (once until the next ack)
     */
    public StreamAcks(String id, Duration resumeTimeout, int maxUnacked, int requestAt) {
        this(id, resumeTimeout, maxUnacked, requestAt, Duration.ZERO);
    }

    /**
     * As above, with a client that acknowledges given time for a burst: past {@code maxUnacked} the
     * server goes on sending while the oldest unacknowledged stanza is younger than
     * {@code ackTimeout} (a client reading a burst of offline messages or a big roster's presence
     * has not had the time to answer), up to {@link #hardMax} (ten times {@code maxUnacked}), which
     * bounds the memory. {@code ackTimeout} zero: {@code maxUnacked} is a hard limit.
     */
    public StreamAcks(String id, Duration resumeTimeout, int maxUnacked, int requestAt, Duration ackTimeout) {
        if (maxUnacked < 1 || requestAt < 1) throw new IllegalArgumentException("maxUnacked and requestAt must be positive");
        if (ackTimeout.isNegative()) throw new IllegalArgumentException("ackTimeout must not be negative");
        this.id = id;
        this.resumeTimeout = id == null ? Duration.ZERO : resumeTimeout;
        this.maxUnacked = maxUnacked;
        this.ackTimeoutMillis = ackTimeout.toMillis();
        this.hardMax = ackTimeoutMillis == 0 ? maxUnacked : (int) Math.min(Integer.MAX_VALUE, 10L * maxUnacked);
        this.requestAt = requestAt;
    }

    /** The resumption id, or null when the session may not be resumed. */
    public String id() {
        return id;
    }

    public boolean resumable() {
        return id != null;
    }

    public Duration resumeTimeout() {
        return resumeTimeout;
    }

    public int maxUnacked() {
        return maxUnacked;
    }

    /** Most stanzas left unacknowledged at any moment, burst or not. */
    public int hardMax() {
        return hardMax;
    }

    /** How long more than {@link #maxUnacked} may wait for an ack (zero: not at all). */
    public Duration ackTimeout() {
        return Duration.ofMillis(ackTimeoutMillis);
    }

    /** Whether more than {@link #maxUnacked} are unacknowledged and the oldest has waited {@link #ackTimeout} or longer (the session must end). */
    public synchronized boolean overdue(long nowMillis) {
        return overdueWith(unacked.size(), nowMillis);
    }

    /** The rule of {@link #overdue} for {@code count} unacknowledged stanzas. */
    private boolean overdueWith(int count, long nowMillis) {
        return count > maxUnacked && nowMillis - sentAt.getFirst() >= ackTimeoutMillis;
    }

    /**
     * After an ack: true when the client is still past {@link #maxUnacked} (a burst it is reading),
     * and the server should ask again now rather than when it next sends; counted as asked.
     */
    public synchronized boolean askAgain() {
        if (unacked.size() <= maxUnacked) return false;
        requested = true;
        return true;
    }

    /** A stanza went to the client (or waits for a connection to take it). */
    public synchronized Sent sent(Element stanza) {
        long now = System.currentTimeMillis();
        if (unacked.size() >= hardMax || overdueWith(unacked.size() + 1, now)) return Sent.FULL;
        unacked.addLast(stanza);
        sentAt.addLast(now);
        if (!requested && unacked.size() >= requestAt) {
            requested = true;
            return Sent.REQUEST;
        }
        return Sent.COUNTED;
    }

    /** The server asked for an ack ({@code <r/>}) of its own accord; none more until one comes. */
    public synchronized void requested() {
        requested = true;
    }

    /** A stanza from the client has been handled (routed, stored, answered). */
    public synchronized void handled() {
        handled++;
    }

    /** The {@code h} to send the client: stanzas handled from it, modulo 2^32. */
    public synchronized long h() {
        return handled & MASK;
    }

    /**
     * The client acknowledged stanzas up to {@code h} (a 32-bit count, wrapping around): those
     * leave the queue. Returns how many were newly acknowledged.
     * @throws IllegalArgumentException when {@code h} acknowledges more than was sent (XEP-0198 §4:
     *         the stream ends with {@code undefined-condition}), or is not a 32-bit count
     */
    public synchronized int ack(long h) {
        if (h < 0 || h > MASK) throw new IllegalArgumentException("h must be a count from 0 to 4294967295, not " + h);
        long newly = (h - (acked & MASK)) & MASK;
        if (newly > unacked.size()) {
            throw new IllegalArgumentException("h='" + h + "' acknowledges " + newly + " stanzas, but only " + unacked.size()
                    + " were sent and not acknowledged yet");
        }
        for (long i = 0; i < newly; i++) {
            unacked.removeFirst();
            sentAt.removeFirst();
        }
        acked += newly;
        requested = false;
        return (int) newly;
    }

    /** Stanzas sent and not acknowledged. */
    public synchronized int pending() {
        return unacked.size();
    }

    /** The unacknowledged stanzas, oldest first. */
    public synchronized List<Element> unacked() {
        return new ArrayList<>(unacked);
    }

    /** One unacknowledged stanza with the time it was first sent. */
    public record Unacked(Element stanza, long sentAtMillis) {
    }

    /** Takes every unacknowledged stanza out, oldest first, with when it was sent: the session ended without them acknowledged. */
    public synchronized List<Unacked> drain() {
        List<Unacked> all = new ArrayList<>(unacked.size());
        while (!unacked.isEmpty()) all.add(new Unacked(unacked.removeFirst(), sentAt.removeFirst()));
        return all;
    }

    @Override
    public synchronized String toString() {
        return "acks " + (id == null ? "(no resumption)" : id) + ": handled " + handled + ", acked " + acked + ", pending " + unacked.size();
    }
}
