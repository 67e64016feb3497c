package dev.strata.stream.internal;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Function;

import dev.strata.api.InvalidJidException;
import dev.strata.api.Jid;
import dev.strata.api.auth.Scram;
import dev.strata.api.auth.ScramCredential;
import dev.strata.api.auth.ScramHash;

/**
 * The server side of SCRAM (RFC 5802, RFC 7677) with channel binding ({@code -PLUS}:
 * tls-exporter of RFC 9266 and tls-server-end-point of RFC 5929). The proof is checked against
 * StoredKey; no PBKDF2 runs at login. An unknown user gets a plausible salt and fails at the
 * proof, so the exchange does not tell whether an account exists.
 */
final class ScramServer implements Sasl {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final byte[] FAKE_SECRET = new byte[32];

    static {
        RANDOM.nextBytes(FAKE_SECRET);
    }

    private final ScramHash hash;
    private final boolean plus;
    private final String domain;
    private final Map<String, byte[]> channelBindings;
    private final Function<Jid, Optional<ScramCredential>> credentials;

    private int step;
    private Jid user;
    private ScramCredential credential;
    /** The channel binding named by the client's gs2 header: its type, "y" (flag y: the client thinks we cannot bind), or null for n. */
    private String bindingUsed;
    private String gs2Header;
    private String clientFirstBare;
    private String serverFirst;
    private String nonce;
    private byte[] expectedBinding;
    private final boolean noCommonBinding;
    private String unsupportedBinding;

    /**
     * @param channelBindings the channel binding types available on this connection, with their
     *        data (empty without TLS); a non-empty map means the server offered the -PLUS mechanisms
     */
    ScramServer(ScramHash hash, boolean plus, String domain, Map<String, byte[]> channelBindings,
                Function<Jid, Optional<ScramCredential>> credentials) {
        this(hash, plus, domain, channelBindings, credentials, false);
    }

    /**
     * @param noCommonBinding the client already tried a -PLUS mechanism on this stream with a binding type we do not
     *        have ({@link #unsupportedBinding}): it saw our -PLUS offer, so its gs2 flag {@code y} is not a downgrade
     */
    ScramServer(ScramHash hash, boolean plus, String domain, Map<String, byte[]> channelBindings,
                Function<Jid, Optional<ScramCredential>> credentials, boolean noCommonBinding) {
        this.noCommonBinding = noCommonBinding;
        this.hash = hash;
        this.plus = plus;
        this.domain = domain;
        this.channelBindings = channelBindings;
        this.credentials = credentials;
    }

    /** XEP-0474: what the server advertised, hashed into the server-first-message as {@code h}; null: no attribute. */
    private String advertised;

    /**
     * XEP-0474 SCRAM downgrade protection: the server-first-message carries {@code h}, the hash (this
     * mechanism's) of the advertised mechanisms, sorted and joined by 0x1E, then 0x1F and the
     * XEP-0440 channel-binding types the same way when any were advertised; a client that knows
     * XEP-0474 compares it with what it saw, and the attribute is covered by the SCRAM proofs.
     */
    ScramServer downgradeProtection(Collection<String> mechanisms, Collection<String> bindingTypes) {
        StringBuilder s = new StringBuilder(String.join("\u001E", new TreeSet<>(mechanisms)));
        if (!bindingTypes.isEmpty()) s.append('\u001F').append(String.join("\u001E", new TreeSet<>(bindingTypes)));
        advertised = s.toString();
        return this;
    }

    /** The binding type the client asked for that this connection does not have, once that failed the exchange; else null. */
    String unsupportedBinding() {
        return unsupportedBinding;
    }

    @Override
    public Step evaluate(byte[] message) {
        String m = new String(message, UTF_8);
        return switch (step++) {
            case 0 -> clientFirst(m);
            case 1 -> clientFinal(m);
            default -> new Failure("malformed-request", user, "unexpected message after the exchange");
        };
    }

    @Override
    public String channelBinding() {
        return bindingUsed;
    }

    private Step clientFirst(String m) {
        // gs2-header = gs2-cbind-flag "," [ authzid ] ","
        int c1 = m.indexOf(',');
        int c2 = c1 < 0 ? -1 : m.indexOf(',', c1 + 1);
        if (c1 < 0 || c2 < 0) return new Failure("malformed-request", null, "no GS2 header");
        String flag = m.substring(0, c1);
        String authzid = m.substring(c1 + 1, c2);
        gs2Header = m.substring(0, c2 + 1);
        clientFirstBare = m.substring(c2 + 1);

        if (flag.startsWith("p=")) {
            String type = flag.substring(2);
            bindingUsed = type;
            if (!plus) return new Failure("malformed-request", null, "channel binding requested with a mechanism without -PLUS");
            expectedBinding = channelBindings.get(type);
            if (expectedBinding == null) {
                unsupportedBinding = type;
                return new Failure("malformed-request", null, "Channel binding type " + type + " is not supported here; offered: "
                        + (channelBindings.isEmpty() ? "none" : String.join(", ", channelBindings.keySet())) + " (XEP-0440)");
            }
        } else if (flag.equals("y")) {
            bindingUsed = "y";
            if (plus) return new Failure("malformed-request", null, "-PLUS mechanism without channel binding");
            if (!channelBindings.isEmpty() && !noCommonBinding) {
                // RFC 5802 §6: the client thinks we cannot bind, but we offered -PLUS: a downgrade (unless this
                // client showed on this stream that it saw -PLUS and has none of our binding types)
                return new Failure("not-authorized", null, "channel binding downgrade detected (gs2 flag y)");
            }
        } else if (flag.equals("n")) {
            if (plus) return new Failure("malformed-request", null, "-PLUS mechanism without channel binding");
        } else {
            return new Failure("malformed-request", null, "bad GS2 channel binding flag");
        }

        Map<String, String> attrs = attributes(clientFirstBare);
        if (attrs == null || !clientFirstBare.startsWith("n=") || !attrs.containsKey("r")) {
            return new Failure("malformed-request", null, "client-first-message needs n= and r=");
        }
        if (clientFirstBare.startsWith("m=")) return new Failure("malformed-request", null, "mandatory extension not supported");
        String username = saslName(attrs.get("n"));
        if (username == null) return new Failure("malformed-request", null, "bad saslname encoding");
        try {
            user = Jid.of(username, domain, null);
        } catch (InvalidJidException e) {
            return new Failure("not-authorized", null, "invalid username: " + e.getMessage());
        }
        if (!authzid.isEmpty()) {
            String az = authzid.startsWith("a=") ? saslName(authzid.substring(2)) : null;
            if (az == null || !Jid.tryParse(az).map(j -> j.equals(user)).orElse(false)) {
                return new Failure("invalid-authzid", user, "authzid '" + authzid + "' is not the authenticating account");
            }
        }
        credential = credentials.apply(user).orElseGet(this::fakeCredential);
        byte[] serverNonce = new byte[18];
        RANDOM.nextBytes(serverNonce);
        nonce = attrs.get("r") + Base64.getEncoder().encodeToString(serverNonce);
        serverFirst = "r=" + nonce + ",s=" + Base64.getEncoder().encodeToString(credential.salt()) + ",i=" + credential.iterations()
                + (advertised == null ? "" : ",h=" + Base64.getEncoder().encodeToString(Scram.digest(hash, advertised.getBytes(UTF_8))));
        return new Challenge(serverFirst.getBytes(UTF_8));
    }

    private Step clientFinal(String m) {
        int p = m.lastIndexOf(",p=");
        if (p < 0) return new Failure("malformed-request", user, "client-final-message has no proof");
        String withoutProof = m.substring(0, p);
        Map<String, String> attrs = attributes(withoutProof);
        if (attrs == null || !withoutProof.startsWith("c=")) return new Failure("malformed-request", user, "client-final-message needs c= first");
        byte[] cbind = gs2Header.getBytes(UTF_8);
        if (expectedBinding != null) {
            cbind = Arrays.copyOf(cbind, cbind.length + expectedBinding.length);
            System.arraycopy(expectedBinding, 0, cbind, gs2Header.length(), expectedBinding.length);
        }
        byte[] proof;
        byte[] c;
        try {
            c = Base64.getDecoder().decode(attrs.get("c"));
            proof = Base64.getDecoder().decode(m.substring(p + 3));
        } catch (IllegalArgumentException e) {
            return new Failure("incorrect-encoding", user, "bad base64 in client-final-message");
        }
        if (!MessageDigest.isEqual(c, cbind)) return new Failure("not-authorized", user, "channel binding data does not match");
        if (!nonce.equals(attrs.get("r"))) return new Failure("not-authorized", user, "nonce mismatch");
        byte[] authMessage = (clientFirstBare + "," + serverFirst + "," + withoutProof).getBytes(UTF_8);
        byte[] clientSignature = Scram.hmac(hash, credential.storedKey(), authMessage);
        if (proof.length != clientSignature.length) return new Failure("not-authorized", user, "wrong proof length");
        byte[] clientKey = new byte[proof.length];
        for (int i = 0; i < proof.length; i++) clientKey[i] = (byte) (proof[i] ^ clientSignature[i]);
        if (!MessageDigest.isEqual(Scram.digest(hash, clientKey), credential.storedKey())) {
            return new Failure("not-authorized", user, "wrong password");
        }
        String serverFinal = "v=" + Base64.getEncoder().encodeToString(Scram.hmac(hash, credential.serverKey(), authMessage));
        return new Success(serverFinal.getBytes(UTF_8), user);
    }

    /** A salt that is stable per user name, and keys nobody can match. */
    private ScramCredential fakeCredential() {
        byte[] salt = Arrays.copyOf(Scram.hmac(ScramHash.SHA_256, FAKE_SECRET, (user + hash.name()).getBytes(UTF_8)), 16);
        byte[] key = new byte[hash.length()];
        RANDOM.nextBytes(key);
        return new ScramCredential(hash, salt, 4096, key, key);
    }

    /** {@code a=v,b=w} attributes (RFC 5802 §5.1), null when malformed. */
    static Map<String, String> attributes(String s) {
        Map<String, String> map = new java.util.HashMap<>();
        for (String part : s.split(",")) {
            if (part.length() < 2 || part.charAt(1) != '=') return null;
            map.putIfAbsent(part.substring(0, 1), part.substring(2));
        }
        return map;
    }

    /** Decodes =2C and =3D (RFC 5802 §5.1); null when any other '=' escape appears. */
    static String saslName(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == '=') {
                if (s.startsWith("=2C", i)) sb.append(',');
                else if (s.startsWith("=3D", i)) sb.append('=');
                else return null;
                i += 2;
            } else if (ch == ',') {
                return null;
            } else {
                sb.append(ch);
            }
        }
        return sb.toString();
    }
}
