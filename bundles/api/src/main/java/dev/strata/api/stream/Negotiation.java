package dev.strata.api.stream;

import org.osgi.annotation.versioning.ProviderType;

import dev.strata.api.Jid;
import dev.strata.api.stanza.Iq;
import dev.strata.api.stanza.Session;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.stanza.StreamError;
import dev.strata.api.transport.Connection;
import dev.strata.api.xml.Element;

/**
 * The stream a {@link StreamFeature} is being negotiated on. SASL, resource binding, compression
 * and in-band registration are all features on it: a feature reads and answers the client's
 * negotiation elements, and moves the stream on with {@link #authenticated} and {@link #bind}.
 */
@ProviderType
public interface Negotiation {
    Connection connection();

    /** The stream's id, as sent in the server's stream header. */
    String id();

    /** The domain the client opened the stream to. */
    String domain();

    /** The authenticated account, or null before SASL. */
    Jid user();

    /**
     * Authentication succeeded for {@code user} with {@code mechanism}: the stream restarts (RFC 6120
     * §6.4.6) and features of {@link StreamFeature.Stage#AFTER_AUTH} are offered next. Call it just
     * before sending the success element, so the client's next bytes are read as a new stream.
     */
    void authenticated(Jid user, String mechanism);

    /**
     * Authentication succeeded for {@code user} with {@code mechanism}; with {@code restart} false
     * (XEP-0388 SASL2) the stream goes on without a restart and the feature sends the features of
     * the authenticated stream itself. {@code authenticated(user, mechanism, true)} is
     * {@link #authenticated(Jid, String)}.
     */
    default void authenticated(Jid user, String mechanism, boolean restart) {
        if (!restart) throw new UnsupportedOperationException("This stream cannot be authenticated without a restart");
        authenticated(user, mechanism);
    }

    /**
     * Where this negotiation runs inline (XEP-0388/XEP-0386), or null for a top-level element the
     * client sent on its own. See {@link InlineFeature}.
     */
    default InlineFeature.Where inline() {
        return null;
    }

    /**
     * Binds the authenticated account's full JID {@code full} (RFC 6120 §7): the client session starts
     * and routing reaches it. An existing session of that JID is replaced or the bind refused, by policy.
     * @throws StanzaException {@code conflict} when refused, {@code not-allowed} when bound already,
     *         {@code internal-server-error} when sessions cannot be registered now
     */
    Session bind(Jid full) throws StanzaException;

    /**
     * Attaches this authenticated stream to a session of the same account that lost its connection
     * and was kept ({@link dev.strata.api.module.SessionLifecycle#detached}): the session goes on
     * over this stream, with its JID, attributes and presence (stream management resumption).
     * @throws StanzaException {@code item-not-found} when the session has ended or is connected,
     *         {@code not-authorized} when it is another account's
     */
    default Session resume(Session session) throws StanzaException {
        return resume(session, null);
    }

    /**
     * {@link #resume(Session)}, writing {@code answer} (the feature's {@code <resumed/>}) first and
     * then, when the session has {@link StreamAcks}, the stanzas its client has not acknowledged,
     * oldest first, before anything sent to the session after. When the session still has a
     * connection (its client noticed the loss before the server did), that connection is closed
     * with a {@code conflict} stream error and the session goes on over this stream.
     * @throws StanzaException {@code item-not-found} when the session has ended,
     *         {@code not-authorized} when it is another account's
     */
    Session resume(Session session, Element answer) throws StanzaException;

    /**
     * Starts counting stanzas both ways on this stream's session (XEP-0198), atomically with
     * writing {@code answer} (the feature's {@code <enabled/>}): every stanza written after it is
     * counted, none before. From then on the stream layer answers {@code <r/>}, takes {@code <a/>},
     * keeps unacknowledged stanzas (bounded by {@link StreamAcks#maxUnacked}, beyond which the
     * session ends with {@code policy-violation}), and when the session ends re-routes the messages
     * its client never acknowledged to the account, with a XEP-0203 delay stamp, so they reach
     * another resource or offline storage instead of being lost.
     * @throws StanzaException {@code unexpected-request} when no resource is bound or counting started already
     */
    void startCounting(StreamAcks acks, Element answer) throws StanzaException;

    /** The session bound on this stream, or null before resource binding (RFC 6120 §7). */
    Session session();

    /** State a feature keeps for this stream between elements (under a key it owns); null when unset. */
    Object attribute(String key);

    /** Sets a stream attribute; null removes it. */
    void attribute(String key, Object value);

    /** Sends a negotiation element (written in the stream's content namespace context). */
    void send(Element element);

    /** Sends a stream error and closes the stream. */
    void fail(StreamError error, String text);

    /** What a feature answers to an IQ during negotiation: the result's payload (null for none), or an error. */
    @FunctionalInterface
    interface IqAnswer {
        Element answer(Iq iq) throws StanzaException;
    }

    /**
     * Answers an IQ the client sent during negotiation: the result with what {@code answer} returns,
     * or the error reply to its {@link StanzaException} (or to a malformed IQ, without echoing it).
     */
    default void answer(Element stanza, IqAnswer answer) {
        Iq iq;
        try {
            iq = Iq.of(stanza, null, null);
        } catch (StanzaException e) {
            send(e.error().replyTo(stanza, e.getMessage(), false));
            return;
        }
        try {
            send(iq.result(answer.answer(iq)));
        } catch (StanzaException e) {
            send(iq.error(e));
        }
    }
}
