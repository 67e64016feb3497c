package dev.strata.api.stream;

import org.osgi.annotation.versioning.ProviderType;

import dev.strata.api.Jid;
import dev.strata.api.stanza.Session;
import dev.strata.api.stanza.StreamError;
import dev.strata.api.transport.Connection;
import dev.strata.api.xml.Element;

/** The stream a {@link StreamFeature} is being negotiated on. */
@ProviderType
public interface Negotiation {
    Connection connection();

    /** The domain the client opened the stream to. */
    String domain();

    /** The authenticated account, or null before SASL. */
    Jid user();

    /** The session bound on this stream, or null before resource binding (RFC 6120 §7). */
    Session session();

    /** Sends a negotiation element (written in the stream's content namespace context). */
    void send(Element element);

    /** Sends a stream error and closes the stream. */
    void fail(StreamError error, String text);
}
