package dev.strata.api.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;

import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

import rocks.xmpp.precis.PrecisProfiles;

/** The SCRAM key derivations of RFC 5802 §3, shared by the server mechanisms and the account stores. */
public final class Scram {
    private static final SecureRandom RANDOM = new SecureRandom();

    private Scram() {
    }

    /**
     * Prepares a password with the PRECIS OpaqueString profile (RFC 8265 §4.2, which RFC 7677
     * and XMPP use in place of SASLprep).
     *
     * @throws IllegalArgumentException when the password is empty or has disallowed characters
     */
    public static String preparePassword(String password) {
        try {
            return PrecisProfiles.OPAQUE_STRING.enforce(password);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("The password is not acceptable: " + e.getMessage(), e);
        }
    }

    /** New credentials for a password, with a fresh 16-byte salt. */
    public static ScramCredential derive(ScramHash hash, String password, int iterations) {
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        return derive(hash, password, salt, iterations);
    }

    /** Credentials for a password with a given salt (RFC 5802 §3). */
    public static ScramCredential derive(ScramHash hash, String password, byte[] salt, int iterations) {
        byte[] salted = saltedPassword(hash, preparePassword(password), salt, iterations);
        byte[] clientKey = hmac(hash, salted, "Client Key".getBytes(StandardCharsets.US_ASCII));
        byte[] serverKey = hmac(hash, salted, "Server Key".getBytes(StandardCharsets.US_ASCII));
        return new ScramCredential(hash, salt, iterations, digest(hash, clientKey), serverKey);
    }

    /** Whether {@code password} is the one these credentials were derived from (constant time). */
    public static boolean verify(ScramCredential credential, String password) {
        ScramCredential candidate;
        try {
            candidate = derive(credential.hash(), password, credential.salt(), credential.iterations());
        } catch (IllegalArgumentException e) {
            return false;
        }
        return MessageDigest.isEqual(candidate.storedKey(), credential.storedKey());
    }

    /** SaltedPassword := Hi(Normalize(password), salt, i), i.e. PBKDF2 with the hash's HMAC. */
    public static byte[] saltedPassword(ScramHash hash, String preparedPassword, byte[] salt, int iterations) {
        try {
            PBEKeySpec spec = new PBEKeySpec(preparedPassword.toCharArray(), salt, iterations, hash.length() * 8);
            return SecretKeyFactory.getInstance(hash.pbkdf2()).generateSecret(spec).getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(hash.pbkdf2() + " is not available", e);
        }
    }

    public static byte[] hmac(ScramHash hash, byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance(hash.hmac());
            mac.init(new SecretKeySpec(key, hash.hmac()));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(hash.hmac() + " is not available", e);
        }
    }

    public static byte[] digest(ScramHash hash, byte[] data) {
        try {
            return MessageDigest.getInstance(hash.digest()).digest(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(hash.digest() + " is not available", e);
        }
    }
}
