package dev.strata.api.auth;

/** The hash functions SCRAM is used with, and their mechanism names. */
public enum ScramHash {
    SHA_1("SCRAM-SHA-1", "SHA-1", "HmacSHA1", "PBKDF2WithHmacSHA1", 20),
    SHA_256("SCRAM-SHA-256", "SHA-256", "HmacSHA256", "PBKDF2WithHmacSHA256", 32),
    SHA_512("SCRAM-SHA-512", "SHA-512", "HmacSHA512", "PBKDF2WithHmacSHA512", 64);

    private final String mechanism;
    private final String digest;
    private final String hmac;
    private final String pbkdf2;
    private final int length;

    ScramHash(String mechanism, String digest, String hmac, String pbkdf2, int length) {
        this.mechanism = mechanism;
        this.digest = digest;
        this.hmac = hmac;
        this.pbkdf2 = pbkdf2;
        this.length = length;
    }

    /** The SASL mechanism name without channel binding, e.g. {@code SCRAM-SHA-256}. */
    public String mechanism() {
        return mechanism;
    }

    /** The JCA MessageDigest name. */
    public String digest() {
        return digest;
    }

    /** The JCA Mac name. */
    public String hmac() {
        return hmac;
    }

    /** The JCA SecretKeyFactory name of PBKDF2 with this HMAC. */
    public String pbkdf2() {
        return pbkdf2;
    }

    /** Output length in bytes. */
    public int length() {
        return length;
    }
}
