package dev.strata.api.stanza;

import java.net.InetSocketAddress;

import org.osgi.annotation.versioning.ProviderType;

import dev.strata.api.Jid;
import dev.strata.api.xml.Element;

/** One authenticated, bound client stream. */
@ProviderType
public interface Session {
    /** The full JID the session is bound to. */
    Jid jid();

    /** A stable id for logs and the console. */
    String id();

    InetSocketAddress remoteAddress();

    /** Queues a stanza for the client; never blocks. */
    void send(Element stanza);

    /** Sends a stream error and closes the stream. */
    void close(StreamError error, String text);

    boolean isOpen();

    /**
     * Per-session state that outlives module reloads (DESIGN §6): a module keeps what it knows
     * about a session here, under keys it owns, as values of API or JDK types.
     */
    Object attribute(String key);

    /** Sets a session attribute; null removes it. */
    void attribute(String key, Object value);
}
