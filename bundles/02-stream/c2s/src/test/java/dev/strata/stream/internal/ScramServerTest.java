package dev.strata.stream.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import dev.strata.api.Jid;
import dev.strata.api.auth.Scram;
import dev.strata.api.auth.ScramCredential;
import dev.strata.api.auth.ScramHash;

/** RFC 5802 §5 and §6 (channel binding), RFC 7677, RFC 9266, from the server's side. */
class ScramServerTest {
    private static final Jid ALICE = Jid.of("alice@example.org");
    private static final ScramCredential CREDENTIAL = Scram.derive(ScramHash.SHA_256, "secret", 4096);
    private static final byte[] CB = "channel-binding-data".getBytes(UTF_8);

    private static ScramServer server(boolean plus, Map<String, byte[]> bindings) {
        return new ScramServer(ScramHash.SHA_256, plus, "example.org", bindings, credentials());
    }

    private static java.util.function.Function<Jid, Optional<dev.strata.api.auth.ScramCredential>> credentials() {
        return u -> u.equals(ALICE) ? Optional.of(CREDENTIAL) : Optional.empty();
    }

    /** A client exchange; returns the server's last step. */
    private static Sasl.Step exchange(ScramServer server, String user, String password, String gs2, byte[] cbData) {
        String bare = "n=" + user + ",r=clientnonce";
        Sasl.Step first = server.evaluate((gs2 + bare).getBytes(UTF_8));
        if (!(first instanceof Sasl.Challenge(byte[] data))) return first;
        String serverFirst = new String(data, UTF_8);
        Map<String, String> a = new HashMap<>();
        for (String p : serverFirst.split(",")) a.put(p.substring(0, 1), p.substring(2));
        byte[] cbind = gs2.getBytes(UTF_8);
        if (cbData != null) {
            byte[] all = new byte[cbind.length + cbData.length];
            System.arraycopy(cbind, 0, all, 0, cbind.length);
            System.arraycopy(cbData, 0, all, cbind.length, cbData.length);
            cbind = all;
        }
        String withoutProof = "c=" + Base64.getEncoder().encodeToString(cbind) + ",r=" + a.get("r");
        byte[] salted = Scram.saltedPassword(ScramHash.SHA_256, password, Base64.getDecoder().decode(a.get("s")), Integer.parseInt(a.get("i")));
        byte[] clientKey = Scram.hmac(ScramHash.SHA_256, salted, "Client Key".getBytes(UTF_8));
        byte[] auth = (bare + "," + serverFirst + "," + withoutProof).getBytes(UTF_8);
        byte[] sig = Scram.hmac(ScramHash.SHA_256, Scram.digest(ScramHash.SHA_256, clientKey), auth);
        for (int i = 0; i < sig.length; i++) clientKey[i] ^= sig[i];
        Sasl.Step last = server.evaluate((withoutProof + ",p=" + Base64.getEncoder().encodeToString(clientKey)).getBytes(UTF_8));
        if (last instanceof Sasl.Success(byte[] v, Jid user1)) {
            byte[] serverKey = Scram.hmac(ScramHash.SHA_256, salted, "Server Key".getBytes(UTF_8));
            assertThat(new String(v, UTF_8)).isEqualTo("v=" + Base64.getEncoder().encodeToString(Scram.hmac(ScramHash.SHA_256, serverKey, auth)));
        }
        return last;
    }

    @Test
    void authenticatesWithoutChannelBinding() {
        assertThat(exchange(server(false, Map.of()), "alice", "secret", "n,,", null)).isInstanceOfSatisfying(Sasl.Success.class,
                s -> assertThat(s.user()).isEqualTo(ALICE));
    }

    @Test
    void authenticatesWithChannelBinding() {
        assertThat(exchange(server(true, Map.of("tls-exporter", CB)), "alice", "secret", "p=tls-exporter,,", CB)).isInstanceOf(Sasl.Success.class);
    }

    @Test
    void refusesTheWrongChannelBindingData() {
        assertThat(exchange(server(true, Map.of("tls-exporter", CB)), "alice", "secret", "p=tls-exporter,,", "other".getBytes(UTF_8)))
                .isInstanceOfSatisfying(Sasl.Failure.class, f -> assertThat(f.condition()).isEqualTo("not-authorized"));
    }

    @Test
    void refusesAnUnofferedBindingTypeWithAClearReason() {
        assertThat(exchange(server(true, Map.of("tls-exporter", CB)), "alice", "secret", "p=tls-unique,,", CB))
                .isInstanceOfSatisfying(Sasl.Failure.class, f -> assertThat(f.detail()).contains("tls-unique is not supported", "tls-exporter"));
    }

    /** RFC 5802 §6: 'y' while the server supports channel binding is a downgrade. */
    @Test
    void refusesTheDowngradeFlag() {
        assertThat(exchange(server(false, Map.of("tls-exporter", CB)), "alice", "secret", "y,,", null))
                .isInstanceOfSatisfying(Sasl.Failure.class, f -> assertThat(f.condition()).isEqualTo("not-authorized"));
        assertThat(exchange(server(false, Map.of()), "alice", "secret", "y,,", null)).isInstanceOf(Sasl.Success.class);
    }

    /**
     * A client that knows only a binding type this server lacks (slixmpp 1.8: tls-unique, which TLS 1.3 does not define)
     * fails -PLUS on that, then falls back to 'y' on the same stream: having seen -PLUS, its 'y' is not a downgrade.
     */
    @Test
    void acceptsTheFlagYOnceTheClientShowedItHasNoBindingTypeOfOurs() {
        ScramServer plus = server(true, Map.of("tls-exporter", CB));
        assertThat(exchange(plus, "alice", "secret", "p=tls-unique,,", CB)).isInstanceOf(Sasl.Failure.class);
        assertThat(plus.unsupportedBinding()).isEqualTo("tls-unique");
        ScramServer fallback = new ScramServer(ScramHash.SHA_256, false, "example.org", Map.of("tls-exporter", CB), credentials(), true);
        assertThat(exchange(fallback, "alice", "secret", "y,,", null)).isInstanceOf(Sasl.Success.class);
        assertThat(server(true, Map.of("tls-exporter", CB)).unsupportedBinding()).isNull();
    }

    @Test
    void plusMechanismsNeedBindingAndOthersMustNotAskForIt() {
        assertThat(exchange(server(true, Map.of("tls-exporter", CB)), "alice", "secret", "n,,", null)).isInstanceOf(Sasl.Failure.class);
        assertThat(exchange(server(false, Map.of("tls-exporter", CB)), "alice", "secret", "p=tls-exporter,,", CB)).isInstanceOf(Sasl.Failure.class);
    }

    @Test
    void wrongPasswordAndUnknownUserLookAlike() {
        Sasl.Step wrong = exchange(server(false, Map.of()), "alice", "guess", "n,,", null);
        Sasl.Step unknown = exchange(server(false, Map.of()), "mallory", "guess", "n,,", null);
        assertThat(wrong).isInstanceOfSatisfying(Sasl.Failure.class, f -> assertThat(f.condition()).isEqualTo("not-authorized"));
        assertThat(unknown).isInstanceOfSatisfying(Sasl.Failure.class, f -> assertThat(f.condition()).isEqualTo("not-authorized"));
        // the salt offered for an unknown user is stable, as a real one would be
        var s1 = (Sasl.Challenge) server(false, Map.of()).evaluate("n,,n=mallory,r=a".getBytes(UTF_8));
        var s2 = (Sasl.Challenge) server(false, Map.of()).evaluate("n,,n=mallory,r=b".getBytes(UTF_8));
        String salt1 = new String(s1.data(), UTF_8).split(",")[1];
        String salt2 = new String(s2.data(), UTF_8).split(",")[1];
        assertThat(salt1).isEqualTo(salt2);
    }

    @Test
    void checksAuthzidAndEncoding() {
        assertThat(exchange(server(false, Map.of()), "alice", "secret", "n,a=alice@example.org,", null)).isInstanceOf(Sasl.Success.class);
        assertThat(exchange(server(false, Map.of()), "alice", "secret", "n,a=bob@example.org,", null))
                .isInstanceOfSatisfying(Sasl.Failure.class, f -> assertThat(f.condition()).isEqualTo("invalid-authzid"));
        assertThat(server(false, Map.of()).evaluate("n,,n=al=2Xce,r=x".getBytes(UTF_8))).isInstanceOf(Sasl.Failure.class);
        assertThat(server(false, Map.of()).evaluate("garbage".getBytes(UTF_8))).isInstanceOf(Sasl.Failure.class);
        assertThat(ScramServer.saslName("a=2Cb=3Dc")).isEqualTo("a,b=c");
    }

    @Test
    void plainChecksTheAuthzidAndThePassword() {
        PlainServer plain = new PlainServer("example.org", (u, p) -> u.equals(ALICE) && p.equals("secret"));
        assertThat(plain.evaluate("\0alice\0secret".getBytes(UTF_8))).isInstanceOf(Sasl.Success.class);
        assertThat(plain.evaluate("\0alice\0wrong".getBytes(UTF_8))).isInstanceOf(Sasl.Failure.class);
        assertThat(plain.evaluate("bob@example.org\0alice\0secret".getBytes(UTF_8)))
                .isInstanceOfSatisfying(Sasl.Failure.class, f -> assertThat(f.condition()).isEqualTo("invalid-authzid"));
        assertThat(plain.evaluate("no-separators".getBytes(UTF_8))).isInstanceOf(Sasl.Failure.class);
    }

    /** XEP-0474 §5.1's example: SHA-1 over the sorted mechanisms, 0x1F, the sorted binding types. */
    @Test
    void theServerFirstMessageCarriesTheDowngradeProtectionHashAndTheProofsCoverIt() {
        ScramCredential sha1 = Scram.derive(ScramHash.SHA_1, "pencil", 4096);
        ScramServer example = new ScramServer(ScramHash.SHA_1, false, "example.org", Map.of(), u -> Optional.of(sha1))
                .downgradeProtection(java.util.List.of("SCRAM-SHA-1-PLUS", "SCRAM-SHA-1"), java.util.List.of("tls-server-end-point", "tls-exporter"));
        Sasl.Step first = example.evaluate("n,,n=user,r=12C4CD5C".getBytes(UTF_8));
        assertThat(first).isInstanceOfSatisfying(Sasl.Challenge.class, c -> assertThat(new String(c.data(), UTF_8)).endsWith(",h=G6k/rBLDqgOhRRaCuuatSDFkJ08="));

        // the attribute is part of the AuthMessage both proofs sign: a client that keeps the message as sent logs in
        ScramServer withH = server(false, Map.of()).downgradeProtection(java.util.List.of("SCRAM-SHA-256"), java.util.List.of());
        assertThat(exchange(withH, "alice", "secret", "n,,", null)).isInstanceOf(Sasl.Success.class);
    }
}
