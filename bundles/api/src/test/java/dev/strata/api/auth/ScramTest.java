package dev.strata.api.auth;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.MessageDigest;
import java.util.Base64;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The key derivations checked against the exchanges of RFC 5802 §5 (SHA-1) and RFC 7677 §3 (SHA-256). */
class ScramTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "SHA_1|QSXCR+Q6sek8bf92|n=user,r=fyko+d2lbbFgONRv9qkxdawL|r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096"
                    + "|c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j|v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=|rmF9pqV8S7suAoZWja4dJRkFsKQ=",
            "SHA_256|W22ZaJ0SNY7soEsUEjb6gQ==|n=user,r=rOprNGfwEbeRWgbNEkqO"
                    + "|r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
                    + "|c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0|dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
                    + "|6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
    })
    void storedCredentialsVerifyTheRfcExchange(ScramHash hash, String salt, String clientFirstBare, String serverFirst,
                                               String clientFinalWithoutProof, String proof, String serverSignature) {
        ScramCredential c = Scram.derive(hash, "pencil", Base64.getDecoder().decode(salt), 4096);
        byte[] authMessage = (clientFirstBare + "," + serverFirst + "," + clientFinalWithoutProof).getBytes(UTF_8);
        byte[] clientSignature = Scram.hmac(hash, c.storedKey(), authMessage);
        byte[] clientKey = Base64.getDecoder().decode(proof);
        for (int i = 0; i < clientKey.length; i++) clientKey[i] ^= clientSignature[i];
        assertThat(MessageDigest.isEqual(Scram.digest(hash, clientKey), c.storedKey())).as("client proof verifies").isTrue();
        assertThat(Base64.getEncoder().encodeToString(Scram.hmac(hash, c.serverKey(), authMessage))).isEqualTo(serverSignature);
    }

    @Test
    void verifiesPasswordsAndNeverPrintsKeys() {
        ScramCredential c = Scram.derive(ScramHash.SHA_512, "correct horse", 4096);
        assertThat(Scram.verify(c, "correct horse")).isTrue();
        assertThat(Scram.verify(c, "correct horse ")).isFalse();
        assertThat(Scram.verify(c, "")).isFalse();
        assertThat(c.salt()).hasSize(16);
        assertThat(c.toString()).isEqualTo("ScramCredential[SCRAM-SHA-512, 4096 iterations]");
        assertThat(Scram.derive(ScramHash.SHA_512, "correct horse", 4096).salt()).isNotEqualTo(c.salt());
    }

    @Test
    void passwordsArePreparedWithOpaqueString() {
        assertThat(Scram.preparePassword("pass\u00A0word")).isEqualTo("pass word");
        assertThatThrownBy(() -> Scram.preparePassword("")).hasMessageContaining("not acceptable");
        assertThatThrownBy(() -> Scram.preparePassword("a\u0007b")).hasMessageContaining("not acceptable");
    }
}
