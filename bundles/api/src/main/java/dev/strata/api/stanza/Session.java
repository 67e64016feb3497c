package dev.strata.api.stanza;

import java.net.InetSocketAddress;
import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

import dev.strata.api.Jid;
import dev.strata.api.xml.Element;

/**
 * One authenticated, bound client: its full JID, attributes that outlive module reloads, an
 * ordered inbound worker and an outbound path through the {@link dev.strata.api.module.SessionFilter}s.
 * A session is not its connection: a connection (TCP, TLS, WebSocket, BOSH) attaches to it and may
 * detach, and a module may keep a session alive without one (stream management); stanzas sent
 * meanwhile wait in the session, bounded, until a connection attaches again or the session ends.
 */
@ProviderType
public interface Session extends Origin {
    /** The full JID the session is bound to. */
    @Override
    Jid jid();

    /** A stable id for logs and the console. */
    String id();

    /** The address of the connection attached now, or of the last one. */
    InetSocketAddress remoteAddress();

    /** Queues a stanza for the client through the session's outbound filters; never blocks. */
    @Override
    void send(Element stanza);

    /**
     * Writes stanzas a {@link dev.strata.api.module.SessionFilter} held back, in order and at once
     * (one write where the connection allows), without passing the filters again: they passed them
     * when they were sent. Stream management counts them. Never blocks.
     */
    default void release(List<Element> held) {
        held.forEach(this::send);
    }

    /** Sends a stream error, closes the connection, and ends the session. */
    void close(StreamError error, String text);

    /** False once the session has ended (it may be open while no connection is attached). */
    boolean isOpen();

    /** Whether a connection is attached now. */
    boolean isConnected();

    /**
     * Per-session state that outlives module reloads: a module keeps what it knows about a
     * session here, under keys it owns, as values of API or JDK types.
     */
    Object attribute(String key);

    /** Sets a session attribute; null removes it. */
    void attribute(String key, Object value);

    /** Runs a task on the session's ordered worker, after what is queued there now. */
    void execute(Runnable task);

    /**
     * The client session a stanza came from, for handlers that keep per-session state.
     * @throws StanzaException {@code service-unavailable} when the origin is a service, a remote server or the server
     */
    static Session of(Origin origin) throws StanzaException {
        if (origin instanceof Session s) return s;
        throw new StanzaException(StanzaError.SERVICE_UNAVAILABLE, "Only a client session of this server may ask this");
    }
}
