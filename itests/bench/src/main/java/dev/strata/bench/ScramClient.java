package dev.strata.bench;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.strata.api.auth.Scram;
import dev.strata.api.auth.ScramHash;

/**
 * The client side of one SCRAM exchange (RFC 5802), for load drivers and protocol tests. The
 * salted password is cached per salt and iteration count, so PBKDF2 runs once per account, not
 * per login: the driver must not spend its CPU where the server is being measured.
 */
public final class ScramClient {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Map<String, byte[]> SALTED = new ConcurrentHashMap<>();

    private final ScramHash hash;
    private final String password;
    private final String gs2;
    private final String clientFirstBare;
    private byte[] salted;
    private byte[] authMessage;

    /** {@code gs2} is the GS2 header: {@code n,,} without channel binding, {@code p=TYPE,,} with it. */
    public ScramClient(ScramHash hash, String user, String password, String gs2) {
        this.hash = hash;
        this.password = password;
        this.gs2 = gs2;
        byte[] nonce = new byte[18];
        RANDOM.nextBytes(nonce);
        this.clientFirstBare = "n=" + user + ",r=" + Base64.getEncoder().encodeToString(nonce);
    }

    /** The client-first-message, base64 (the payload of {@code <auth/>}). */
    public String first() {
        return Base64.getEncoder().encodeToString((gs2 + clientFirstBare).getBytes(UTF_8));
    }

    /**
     * The client-final-message for the server's base64 challenge, base64 (the payload of
     * {@code <response/>}); {@code cbindData} is appended to the GS2 header (empty without binding).
     */
    public String fin(String challengeBase64, byte[] cbindData) {
        String serverFirst = new String(Base64.getDecoder().decode(challengeBase64.trim()), UTF_8);
        Map<String, String> a = new HashMap<>();
        for (String p : serverFirst.split(",")) a.put(p.substring(0, 1), p.substring(2));
        salted = SALTED.computeIfAbsent(hash + a.get("s") + a.get("i") + password, k -> Scram.saltedPassword(hash,
                Scram.preparePassword(password), Base64.getDecoder().decode(a.get("s")), Integer.parseInt(a.get("i"))));
        byte[] header = gs2.getBytes(UTF_8);
        byte[] cbind = new byte[header.length + cbindData.length];
        System.arraycopy(header, 0, cbind, 0, header.length);
        System.arraycopy(cbindData, 0, cbind, header.length, cbindData.length);
        String withoutProof = "c=" + Base64.getEncoder().encodeToString(cbind) + ",r=" + a.get("r");
        authMessage = (clientFirstBare + "," + serverFirst + "," + withoutProof).getBytes(UTF_8);
        byte[] clientKey = Scram.hmac(hash, salted, "Client Key".getBytes(UTF_8));
        byte[] signature = Scram.hmac(hash, Scram.digest(hash, clientKey), authMessage);
        for (int i = 0; i < clientKey.length; i++) clientKey[i] ^= signature[i];
        return Base64.getEncoder().encodeToString((withoutProof + ",p=" + Base64.getEncoder().encodeToString(clientKey)).getBytes(UTF_8));
    }

    /** Whether the server's base64 {@code <success/>} payload proves it knows the password. */
    public boolean verify(String successBase64) {
        String v = new String(Base64.getDecoder().decode(successBase64.trim()), UTF_8);
        byte[] serverKey = Scram.hmac(hash, salted, "Server Key".getBytes(UTF_8));
        return v.equals("v=" + Base64.getEncoder().encodeToString(Scram.hmac(hash, serverKey, authMessage)));
    }
}
