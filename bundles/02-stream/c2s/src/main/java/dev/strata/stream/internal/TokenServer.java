package dev.strata.stream.internal;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.util.Arrays;
import java.util.Map;

import dev.strata.api.InvalidJidException;
import dev.strata.api.Jid;
import dev.strata.api.auth.FastTokens;

/**
 * A XEP-0484 hashed-token mechanism (draft-schmaus-kitten-sasl-ht, HT-SHA-256-NONE/-ENDP/-EXPR):
 * one message, {@code authcid NUL HMAC(token, "Initiator" || cb-data)}, answered with success and
 * {@code HMAC(token, "Responder" || cb-data)}, or a failure. The tokens are the FAST module's.
 */
final class TokenServer implements Sasl {
    private final FastTokens tokens;
    private final String mechanism;
    private final String domain;
    private final String clientId;
    private final Map<String, byte[]> channelBindings;
    private final boolean invalidate;
    /** A token the module rotated in on this login, for the success element; null when none. */
    private FastTokens.Token next;

    TokenServer(FastTokens tokens, String mechanism, String domain, String clientId, Map<String, byte[]> channelBindings, boolean invalidate) {
        this.tokens = tokens;
        this.mechanism = mechanism;
        this.domain = domain;
        this.clientId = clientId;
        this.channelBindings = channelBindings;
        this.invalidate = invalidate;
    }

    @Override
    public String channelBinding() {
        return mechanism.endsWith("-EXPR") ? "tls-exporter" : mechanism.endsWith("-ENDP") ? "tls-server-end-point" : null;
    }

    FastTokens.Token next() {
        return next;
    }

    @Override
    public Step evaluate(byte[] message) {
        int nul = -1;
        for (int i = 0; i < message.length; i++) {
            if (message[i] == 0) {
                nul = i;
                break;
            }
        }
        if (nul <= 0 || nul == message.length - 1) {
            return new Failure("malformed-request", null, mechanism + " needs an initial response: username NUL hashed token");
        }
        String authcid = new String(message, 0, nul, UTF_8);
        Jid user;
        try {
            user = authcid.contains("@") ? Jid.of(authcid) : Jid.of(authcid, domain, null);
        } catch (InvalidJidException e) {
            return new Failure("not-authorized", null, "invalid username");
        }
        if (!user.isBare() || !domain.equals(user.domain())) return new Failure("not-authorized", null, "the username is not an account of " + domain);
        byte[] hash = Arrays.copyOfRange(message, nul + 1, message.length);
        return switch (tokens.verify(user, clientId, mechanism, hash, channelBindings, invalidate)) {
            case FastTokens.Accepted(byte[] responder, FastTokens.Token rotated) -> {
                next = rotated;
                yield new Success(responder, user);
            }
            case FastTokens.Refused(String condition, String text) -> new Failure(condition, user, text);
        };
    }
}
