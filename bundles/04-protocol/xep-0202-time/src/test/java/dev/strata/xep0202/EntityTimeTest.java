package dev.strata.xep0202;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;

import dev.strata.api.stanza.StanzaException;
import dev.strata.api.xml.Element;
import dev.strata.testkit.FakeSession;
import dev.strata.testkit.Iqs;

/** XEP-0202 Entity Time 2.0 §4: tzo as ±hh:mm and utc in XEP-0082 format, in UTC ("Z"). */
class EntityTimeTest {
    @Test
    void answersTheOffsetAndTheUtcTime() throws StanzaException {
        FakeSession alice = new FakeSession("alice@example.org/phone");
        Element time = new EntityTime().handle(Iqs.get(alice.jid().toString(), "example.org", Element.of("time", EntityTime.NS)), alice);
        String tzo = time.child("tzo", EntityTime.NS).orElseThrow().text();
        String utc = time.child("utc", EntityTime.NS).orElseThrow().text();
        assertThat(tzo).matches("[+-]\\d\\d:\\d\\d");
        assertThat(utc).endsWith("Z");
        assertThat(Duration.between(Instant.parse(utc), Instant.now()).abs()).isLessThan(Duration.ofSeconds(5));
    }
}
