package dev.strata.api.auth;

import java.util.Arrays;
import java.util.Objects;

/**
 * What a server keeps of a password for one SCRAM hash (RFC 5802 §3): the salt, the iteration
 * count, StoredKey = H(ClientKey) and ServerKey. Enough to verify a client's proof, never enough
 * to log in as the user.
 */
public record ScramCredential(ScramHash hash, byte[] salt, int iterations, byte[] storedKey, byte[] serverKey) {
    public ScramCredential {
        Objects.requireNonNull(hash, "hash");
        salt = salt.clone();
        storedKey = storedKey.clone();
        serverKey = serverKey.clone();
        if (iterations < 1) throw new IllegalArgumentException("iterations must be positive");
        if (storedKey.length != hash.length() || serverKey.length != hash.length()) {
            throw new IllegalArgumentException("keys must be " + hash.length() + " bytes for " + hash);
        }
    }

    @Override
    public byte[] salt() {
        return salt.clone();
    }

    @Override
    public byte[] storedKey() {
        return storedKey.clone();
    }

    @Override
    public byte[] serverKey() {
        return serverKey.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ScramCredential c && hash == c.hash && iterations == c.iterations && Arrays.equals(salt, c.salt)
                && Arrays.equals(storedKey, c.storedKey) && Arrays.equals(serverKey, c.serverKey);
    }

    @Override
    public int hashCode() {
        return Objects.hash(hash, iterations, Arrays.hashCode(salt), Arrays.hashCode(storedKey));
    }

    /** Never prints the keys. */
    @Override
    public String toString() {
        return "ScramCredential[" + hash.mechanism() + ", " + iterations + " iterations]";
    }
}
