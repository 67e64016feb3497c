package dev.strata.api.auth;

import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

import dev.strata.api.Jid;

/**
 * The accounts of the server's domains, each identified by its bare JID. Passwords are kept
 * only as SCRAM credentials, one per {@link ScramHash}. Implementations post Event Admin events
 * on the topics {@code strata/account/CREATED}, {@code DELETED} and {@code PASSWORD_CHANGED}
 * with the property {@code jid}. Every method throws {@link dev.strata.api.storage.StorageException}
 * when the store fails.
 */
@ProviderType
public interface AccountStore {
    /**
     * Creates an account.
     * @throws AccountExistsException when it exists already
     * @throws dev.strata.api.storage.StorageException when the store fails
     */
    void create(Jid user, String password);

    /**
     * Replaces the password of an existing account.
     * @throws NoSuchAccountException when there is no such account
     * @throws dev.strata.api.storage.StorageException when the store fails
     */
    void changePassword(Jid user, String password);

    /**
     * Deletes an account and everything stored for it, after telling every {@link AccountDeletion}
     * service; false when it did not exist.
     */
    boolean delete(Jid user);

    boolean exists(Jid user);

    /** The credentials for one hash, when the account exists. */
    Optional<ScramCredential> credential(Jid user, ScramHash hash);

    /** The accounts of a domain, sorted. */
    List<Jid> list(String domain);

    /** Checks a password against the stored SCRAM-SHA-256 credential (constant-time comparison). */
    default boolean verifyPassword(Jid user, String password) {
        return credential(user, ScramHash.SHA_256).map(c -> Scram.verify(c, password)).orElse(false);
    }
}
