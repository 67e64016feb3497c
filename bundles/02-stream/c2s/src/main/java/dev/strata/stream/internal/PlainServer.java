package dev.strata.stream.internal;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.util.function.BiPredicate;

import dev.strata.api.InvalidJidException;
import dev.strata.api.Jid;

/** SASL PLAIN (RFC 4616): {@code [authzid] NUL authcid NUL password}; offered only over TLS. */
final class PlainServer implements Sasl {
    private final String domain;
    private final BiPredicate<Jid, String> verifier;

    PlainServer(String domain, BiPredicate<Jid, String> verifier) {
        this.domain = domain;
        this.verifier = verifier;
    }

    @Override
    public Step evaluate(byte[] message) {
        if (message.length == 0) return new Challenge(new byte[0]);
        String m = new String(message, UTF_8);
        String[] parts = m.split("\u0000", -1);
        if (parts.length != 3) return new Failure("malformed-request", null, "PLAIN needs authzid NUL authcid NUL password");
        Jid user;
        try {
            user = Jid.of(parts[1], domain, null);
        } catch (InvalidJidException e) {
            return new Failure("not-authorized", null, "invalid username");
        }
        if (!parts[0].isEmpty() && !Jid.tryParse(parts[0]).map(user::equals).orElse(false)) {
            return new Failure("invalid-authzid", user, "authzid is not the authenticating account");
        }
        return verifier.test(user, parts[2]) ? new Success(new byte[0], user) : new Failure("not-authorized", user, "wrong password");
    }
}
