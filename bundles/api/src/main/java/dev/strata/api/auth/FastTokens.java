package dev.strata.api.auth;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.osgi.annotation.versioning.ProviderType;

import dev.strata.api.Jid;

/**
 * XEP-0484 Fast Authentication Streamlining Tokens: secrets issued to one client (a SASL2
 * user-agent id) of one account after a full login, with which that client logs in again in one
 * round trip through a hashed-token SASL mechanism (draft-schmaus-kitten-sasl-ht). The service
 * keeps two slots per client (the token in use, and a new one not used yet), rotates a token near
 * its expiry, and revokes a client's tokens on request, on logout ({@code invalidate}) and every
 * token of an account when its password changes. Every method may block on storage.
 */
@ProviderType
public interface FastTokens {
    /**
     * The FAST mechanisms a client may use on a stream whose TLS session offers these channel
     * binding types (RFC 5929, RFC 9266 names), most preferred first; {@code HT-SHA-256-NONE} always.
     */
    List<String> mechanisms(Set<String> channelBindings);

    /**
     * A new token for {@code client} of {@code account}, bound to {@code mechanism}, placed in the
     * client's "new" slot (an unused new token it replaces is revoked).
     */
    Token issue(Jid account, Client client, String mechanism);

    /**
     * Verifies a hashed-token login: {@code initiatorHash} is HMAC(token, "Initiator" || cb-data)
     * for the mechanism's channel binding taken from {@code channelBindings}, compared in constant
     * time with the client's new token, then its current one. Accepted: the used token becomes the
     * current one (older ones are revoked), and the answer holds the responder hash and, when the
     * token is due for rotation and {@code invalidate} is false, a new token. With
     * {@code invalidate}, the token is revoked after this login.
     */
    Outcome verify(Jid account, String clientId, String mechanism, byte[] initiatorHash, Map<String, byte[]> channelBindings, boolean invalidate);

    /** The clients of an account that hold tokens, most recently used first. */
    List<Device> devices(Jid account);

    /** Revokes a client's tokens; false when it had none. */
    boolean revoke(Jid account, String clientId);

    /** Revokes every token of an account (its password changed, or an operator said so); returns how many clients had some. */
    int revokeAll(Jid account);

    /** A token as the client gets it. */
    record Token(String secret, Instant expiry) {
    }

    /** A client as SASL2 names it: its user-agent id (a UUID), and the software and device it says it is (may be empty). */
    record Client(String id, String software, String device) {
    }

    /** What a token login came to. */
    sealed interface Outcome permits Accepted, Refused {
    }

    /** The token is valid: the responder hash to send as additional data, and a rotated token or null. */
    record Accepted(byte[] responderHash, Token next) implements Outcome {
    }

    /**
     * Refused with an RFC 6120 §6.5 condition ({@code not-authorized}, or {@code credentials-expired}
     * for an expired or revoked token) and a text for the client.
     */
    record Refused(String condition, String text) implements Outcome {
    }

    /** A client holding tokens: the mechanism they are bound to, when the newest expires, when one was last used (null: never). */
    record Device(Client client, String mechanism, Instant expiry, Instant lastUsed) {
    }
}
