package dev.strata.api.auth;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The server's one record of failed logins, shared by every way in that takes a password (SASL on
 * client streams, the SSH console), so none of them is a way around the others. Failures count per
 * account from one address, per account from all addresses, and per address over all accounts,
 * each with a number of free failures (the one per address far higher: many users share a NAT);
 * past them, each failure locks that key for twice as long as the one before, up to a maximum,
 * rather than blocking it outright. While a key is locked even the right password is refused, so a
 * guesser learns nothing from it; a success clears what its account from its address had. Admins
 * see the locks with {@code auth:lockouts} and lift them with {@code auth:clear}.
 */
@ProviderType
public interface LoginThrottle {
    /** Whether a login may be tried now; when not, for how long and why (a sentence naming what is locked). */
    record Verdict(boolean allowed, Duration retryAfter, String reason) {
        public static final Verdict ALLOWED = new Verdict(true, Duration.ZERO, null);
    }

    /** One key's record: an address, an account, or both (the other null), its recent failures and its lock. */
    record Lockout(String address, String account, int failures, Instant lockedUntil) {
    }

    /**
     * Before a password is checked (or after, before success is reported).
     *
     * @param address the client's IP address as text
     * @param account the account's bare JID as text, or null when the attempt has not named one yet
     */
    Verdict check(String address, String account);

    /** Counts a failed login ({@code account} null: the attempt named no valid account). */
    void failed(String address, String account);

    /** A login succeeded: what this account had from this address is forgotten. */
    void succeeded(String address, String account);

    /** Every key with recent failures, locked ones first. */
    List<Lockout> lockouts();

    /** Forgets every key naming this address or account (a bare JID); returns how many there were. */
    int clear(String addressOrAccount);
}
