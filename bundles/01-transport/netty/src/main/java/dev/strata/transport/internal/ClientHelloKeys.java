package dev.strata.transport.internal;

import io.netty.buffer.ByteBuf;

/**
 * Which certificate keys a TLS client can take, read from its ClientHello before any certificate
 * is chosen, so a domain with an EC and an RSA certificate serves each client one it can verify.
 * <p>
 * A key suits TLS 1.3 when the client offers 1.3 ({@code supported_versions}) and a signature
 * scheme for it ({@code signature_algorithms}: ecdsa_secp256r1_sha256 for P-256, an
 * rsa_pss_rsae scheme for RSA; RFC 8446 §4.2.3, §4.4.2.2); it suits TLS 1.2 when the client offers
 * an ECDHE suite authenticated by that key type and a signature scheme for it, or no
 * {@code signature_algorithms} at all (RFC 5246 §7.4.1.4.1). A ClientHello that cannot be read
 * takes either, and the handshake decides.
 *
 * @param ec  an EC (ECDSA) certificate suits the client
 * @param rsa an RSA certificate suits the client
 */
record ClientHelloKeys(boolean ec, boolean rsa) {
    static final ClientHelloKeys ANY = new ClientHelloKeys(true, true);

    private static final int EXT_SIGNATURE_ALGORITHMS = 13;
    private static final int EXT_SUPPORTED_VERSIONS = 43;
    private static final int TLS13 = 0x0304;

    /** Does the key of kind {@code keyAlgorithm} (a Java key algorithm name: "EC", "RSA") suit the client? Unknown kinds: yes. */
    boolean accepts(String keyAlgorithm) {
        return switch (keyAlgorithm) {
            case "EC" -> ec;
            case "RSA" -> rsa;
            default -> true;
        };
    }

    /**
     * Reads a ClientHello's body (from {@code client_version} on, as netty's ClientHello
     * handlers hand it over) without moving its reader index.
     */
    static ClientHelloKeys of(ByteBuf hello) {
        try {
            return parse(hello);
        } catch (IndexOutOfBoundsException e) {
            return ANY;
        }
    }

    private static ClientHelloKeys parse(ByteBuf in) {
        int end = in.writerIndex();
        int p = in.readerIndex() + 2 + 32; // client_version, random
        p += 1 + in.getUnsignedByte(p); // session_id
        int suitesEnd = p + 2 + in.getUnsignedShort(p);
        boolean ecdsaSuite = false, rsaSuite = false;
        for (int i = p + 2; i + 1 < suitesEnd; i += 2) {
            int suite = in.getUnsignedShort(i);
            ecdsaSuite |= isEcdheEcdsa(suite);
            rsaSuite |= isEcdheRsa(suite);
        }
        p = suitesEnd;
        p += 1 + in.getUnsignedByte(p); // compression_methods
        boolean tls13 = false, sigAlgs = false;
        boolean ec13 = false, ec12 = false, rsa13 = false, rsa12 = false;
        if (p + 2 <= end) {
            int extEnd = Math.min(end, p + 2 + in.getUnsignedShort(p));
            p += 2;
            while (p + 4 <= extEnd) {
                int type = in.getUnsignedShort(p);
                int len = in.getUnsignedShort(p + 2);
                int body = p + 4;
                if (body + len > extEnd) return ANY;
                if (type == EXT_SUPPORTED_VERSIONS && len >= 1) {
                    int listEnd = body + 1 + in.getUnsignedByte(body);
                    for (int i = body + 1; i + 1 < listEnd && i + 1 < body + len; i += 2) tls13 |= in.getUnsignedShort(i) == TLS13;
                } else if (type == EXT_SIGNATURE_ALGORITHMS && len >= 2) {
                    sigAlgs = true;
                    int listEnd = body + 2 + in.getUnsignedShort(body);
                    for (int i = body + 2; i + 1 < listEnd && i + 1 < body + len; i += 2) {
                        int scheme = in.getUnsignedShort(i);
                        int hash = scheme >> 8, signature = scheme & 0xff;
                        if (scheme == 0x0403) ec13 = true; // ecdsa_secp256r1_sha256
                        if (signature == 3 && hash >= 2 && hash <= 6) ec12 = true; // ecdsa with SHA-1 .. SHA-512
                        if (scheme >= 0x0804 && scheme <= 0x0806) rsa13 = rsa12 = true; // rsa_pss_rsae_*
                        if (signature == 1 && hash >= 2 && hash <= 6) rsa12 = true; // rsa_pkcs1 with SHA-1 .. SHA-512
                    }
                }
                p = body + len;
            }
        }
        if (!sigAlgs) ec12 = rsa12 = true; // TLS 1.2 without the extension: whatever the suite implies
        boolean ec = (tls13 && ec13) || (ecdsaSuite && ec12);
        boolean rsa = (tls13 && rsa13) || (rsaSuite && rsa12);
        return ec || rsa ? new ClientHelloKeys(ec, rsa) : ANY;
    }

    /** TLS 1.2 ECDHE suites authenticated by ECDSA (the forward-secret ones; RFC 8422, RFC 5289, RFC 7905). */
    private static boolean isEcdheEcdsa(int suite) {
        return switch (suite) {
            case 0xC02B, 0xC02C, 0xCCA9, 0xC009, 0xC00A, 0xC023, 0xC024 -> true;
            default -> false;
        };
    }

    /** TLS 1.2 ECDHE suites authenticated by RSA. */
    private static boolean isEcdheRsa(int suite) {
        return switch (suite) {
            case 0xC02F, 0xC030, 0xCCA8, 0xC013, 0xC014, 0xC027, 0xC028 -> true;
            default -> false;
        };
    }
}
