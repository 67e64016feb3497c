package dev.strata.xep0215;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.xml.Element;
import dev.strata.testkit.Configs;
import dev.strata.testkit.FakeServer;
import dev.strata.testkit.FakeSession;
import dev.strata.testkit.Iqs;

/** XEP-0215 1.0.0 §3 and the TURN REST API credentials. */
class ExternalServicesTest {
    private static final Instant NOW = Instant.parse("2026-12-05T10:00:00Z");
    private final FakeSession alice = new FakeSession("alice@example.org/phone");

    private ExternalServices services(Map<String, ?> config) {
        return new ExternalServices(Configs.of(ExternalServices.Config.class, config), FakeServer.of("example.org"), Clock.fixed(NOW, ZoneOffset.UTC));
    }

    private Element ask(ExternalServices s, String from, Element payload) throws StanzaException {
        return s.handle(Iqs.get(from, "example.org", payload), alice);
    }

    @Test
    void parsesStunAndTurnUrisWithTheirDefaults() {
        assertThat(ExternalServices.parse(new String[] {"stun:stun.example.org", "turn:turn.example.org:3479?transport=tcp", "turns:[2001:db8::1]",
                "ftp:files.example.org:21", "not a uri", "turn:host:99999"})).containsExactly(
                        new ExternalServices.Service("stun", "stun.example.org", 3478, "udp"),
                        new ExternalServices.Service("turn", "turn.example.org", 3479, "tcp"),
                        new ExternalServices.Service("turns", "2001:db8::1", 5349, "tcp"),
                        new ExternalServices.Service("ftp", "files.example.org", 21, null));
    }

    @Test
    void listsEveryServiceOrThoseOfOneTypeWithTurnCredentials() throws StanzaException {
        ExternalServices s = services(Map.of("services", new String[] {"stun:turn.example.org", "turn:turn.example.org?transport=udp"}, "secret", "s3cret",
                "credentials.ttl", 3600));
        Element all = ask(s, "alice@example.org/phone", Element.of("services", ExternalServices.NS));
        assertThat(all.elements().map(e -> e.attribute("type"))).containsExactly("stun", "turn");
        Element stun = all.elements().toList().get(0);
        assertThat(stun.attribute("username")).isNull();
        assertThat(stun.attribute("port")).isEqualTo("3478");

        Element turns = ask(s, "alice@example.org/phone", Element.builder("services", ExternalServices.NS).attribute("type", "turn").build());
        assertThat(turns.attribute("type")).isEqualTo("turn");
        Element turn = turns.elements().toList().getFirst();
        long expiry = NOW.getEpochSecond() + 3600;
        assertThat(turn.attribute("username")).isEqualTo(expiry + ":alice@example.org");
        assertThat(turn.attribute("expires")).isEqualTo("2026-12-05T11:00:00Z");
        assertThat(turn.attribute("restricted")).isEqualTo("1");
        assertThat(turn.attribute("transport")).isEqualTo("udp");
        // coturn's check: base64(HMAC-SHA1(secret, username)); the value here computed by `openssl dgst -sha1 -hmac s3cret -binary | base64`
        assertThat(turn.attribute("password")).isEqualTo(ExternalServices.password("s3cret", expiry + ":alice@example.org")).hasSize(28);
        assertThat(ExternalServices.password("s3cret", "1765000000:alice@example.org")).isEqualTo("TRt+nIhwQNWpBzRejRrILdNv6K8=");
    }

    @Test
    void givesCredentialsForOneServiceOrSaysItIsNotListed() throws StanzaException {
        ExternalServices s = services(Map.of("services", new String[] {"turn:turn.example.org"}, "secret", "s3cret"));
        Element asked = Element.builder("credentials", ExternalServices.NS)
                .child(Element.builder("service", ExternalServices.NS).attribute("type", "turn").attribute("host", "turn.example.org").build()).build();
        Element creds = ask(s, "alice@example.org/phone", asked);
        assertThat(creds.child("service", ExternalServices.NS).orElseThrow().attribute("password")).isNotEmpty();

        Element other = Element.builder("credentials", ExternalServices.NS)
                .child(Element.builder("service", ExternalServices.NS).attribute("type", "turn").attribute("host", "elsewhere.org").build()).build();
        assertThatThrownBy(() -> ask(s, "alice@example.org/phone", other)).isInstanceOfSatisfying(StanzaException.class,
                e -> assertThat(e.error()).isEqualTo(StanzaError.ITEM_NOT_FOUND));
        assertThatThrownBy(() -> ask(s, "alice@example.org/phone", Element.of("credentials", ExternalServices.NS)))
                .isInstanceOfSatisfying(StanzaException.class, e -> assertThat(e.error()).isEqualTo(StanzaError.BAD_REQUEST));
    }

    @Test
    void listsNothingToStrangersAndNoCredentialsWithoutASecret() throws StanzaException {
        ExternalServices s = services(Map.of("services", new String[] {"turn:turn.example.org"}));
        assertThatThrownBy(() -> ask(s, "mallory@elsewhere.org/x", Element.of("services", ExternalServices.NS)))
                .isInstanceOfSatisfying(StanzaException.class, e -> assertThat(e.error()).isEqualTo(StanzaError.FORBIDDEN));
        Element turn = ask(s, "alice@example.org/phone", Element.of("services", ExternalServices.NS)).elements().toList().getFirst();
        assertThat(turn.attribute("username")).isNull();
        assertThat(List.of(turn.attribute("host"), turn.attribute("port"))).containsExactly("turn.example.org", "3478");
    }
}
