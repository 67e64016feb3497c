package dev.strata.stream.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Optional;

import com.code_intelligence.jazzer.junit.FuzzTest;

import dev.strata.api.Jid;
import dev.strata.api.auth.Scram;
import dev.strata.api.auth.ScramCredential;
import dev.strata.api.auth.ScramHash;

/**
 * SCRAM parsing on anything a client may send as its first and final messages, with and without
 * channel binding: the server answers with a challenge or a failure, never an exception (which
 * would end the stream with internal-server-error), and never succeeds without the password.
 */
class ScramServerFuzzTest {
    private static final Jid ALICE = Jid.of("alice@example.org");
    private static final ScramCredential CREDENTIAL = Scram.derive(ScramHash.SHA_256, "secret", 4096);

    @FuzzTest(maxDuration = "30s")
    void anyClientMessageGetsAChallengeOrAFailure(boolean plus, String first, String last) {
        if (first == null || last == null) return;
        ScramServer server = new ScramServer(ScramHash.SHA_256, plus, "example.org",
                plus ? Map.of("tls-exporter", "cb".getBytes(UTF_8)) : Map.of(), u -> u.equals(ALICE) ? Optional.of(CREDENTIAL) : Optional.empty());
        Sasl.Step one = server.evaluate(first.getBytes(UTF_8));
        assertThat(one).isNotNull().isNotInstanceOf(Sasl.Success.class);
        if (!(one instanceof Sasl.Challenge)) return;
        Sasl.Step two = server.evaluate(last.getBytes(UTF_8));
        assertThat(two).as("no proof from the fuzzer is right").isInstanceOf(Sasl.Failure.class);
        assertThat(server.evaluate(new byte[0])).isInstanceOf(Sasl.Failure.class);
    }
}
