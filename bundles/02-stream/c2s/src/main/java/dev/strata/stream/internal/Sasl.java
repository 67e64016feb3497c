package dev.strata.stream.internal;

import dev.strata.api.Jid;

/** A server-side SASL exchange (RFC 4422) as the stream sees it: each client message gives the next step. */
interface Sasl {
    /** What to answer a client message (the initial response first; empty when there was none). */
    Step evaluate(byte[] message);

    /** The channel binding the exchange used (RFC 5929/9266 name), "y" for the SCRAM gs2 flag y, or null for none; for the log and the interoperability matrix. */
    default String channelBinding() {
        return null;
    }

    sealed interface Step permits Challenge, Success, Failure {
    }

    /** Send {@code <challenge/>} with this data. */
    record Challenge(byte[] data) implements Step {
    }

    /** Send {@code <success/>} with this additional data; the stream is authenticated as {@code user}. */
    record Success(byte[] additionalData, Jid user) implements Step {
    }

    /**
     * Send {@code <failure/>} with this RFC 6120 §6.5 condition; {@code user} is the account that
     * was tried, when known (for throttling and logs), and {@code detail} is for the log only.
     */
    record Failure(String condition, Jid user, String detail) implements Step {
    }
}
