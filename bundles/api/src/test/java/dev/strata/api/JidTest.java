package dev.strata.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** RFC 7622 preparation and enforcement, with the examples of its §3.5 and the error cases of §3. */
class JidTest {

    @Test
    void parsesTheThreeParts() {
        Jid jid = Jid.of("juliet@example.com/balcony");
        assertThat(jid.local()).isEqualTo("juliet");
        assertThat(jid.domain()).isEqualTo("example.com");
        assertThat(jid.resource()).isEqualTo("balcony");
        assertThat(jid.bare()).isEqualTo(Jid.of("juliet@example.com"));
        assertThat(jid.isBare()).isFalse();
        assertThat(Jid.of("example.com").isDomain()).isTrue();
    }

    /** RFC 7622 §3.5: examples of valid JIDs, with their enforced forms. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "juliet@example.com|juliet@example.com",
            "juliet@example.com/foo|juliet@example.com/foo",
            "juliet@example.com/foo bar|juliet@example.com/foo bar",
            "juliet@example.com/foo@bar|juliet@example.com/foo@bar",
            "foo\\20bar@example.com|foo\\20bar@example.com",
            "fussball@example.com|fussball@example.com",
            "fußball@example.com|fußball@example.com",
            "π@example.com|π@example.com",
            "Σ@example.com/foo|σ@example.com/foo",
            "σ@example.com/foo|σ@example.com/foo",
            "ς@example.com/foo|ς@example.com/foo",
            "king@example.com/♚|king@example.com/♚",
            "example.com|example.com",
            "example.com/foobar|example.com/foobar",
            "a.example.com/b@example.net|a.example.com/b@example.net",
            "Juliet@EXAMPLE.com/Balcony|juliet@example.com/Balcony",
            "juliet@example.com./x|juliet@example.com/x",
            "juliet@[::1]/x|juliet@[::1]/x",
            "juliet@192.168.0.1|juliet@192.168.0.1",
            "romeo@münchen.de|romeo@münchen.de",
            "romeo@xn--mnchen-3ya.de|romeo@münchen.de",
            "juliet@example.com/a/b|juliet@example.com/a/b",
    })
    void acceptsValidJids(String input, String enforced) {
        assertThat(Jid.of(input).toString()).isEqualTo(enforced);
    }

    /** RFC 7622 §3.5: examples of invalid JIDs, and the length and character rules of §3.1–3.4. */
    @ParameterizedTest
    @ValueSource(strings = {
            "\"juliet\"@example.com",
            "foo bar@example.com",
            "@example.com/",
            "henryⅣ@example.com/",
            "♚@example.com",
            "juliet@",
            "/foobar",
            "",
            "@example.com",
            "juliet@example.com/",
            "a@b@example.com",
            "jul:iet@example.com",
            "jul<iet@example.com",
            "juliet@exa mple.com",
            "juliet@-example.com",
            "juliet@example..com",
            "juliet@[::1",
            "juliet@[zz::1]",
    })
    void rejectsInvalidJids(String input) {
        assertThatThrownBy(() -> Jid.of(input)).isInstanceOf(InvalidJidException.class)
                .satisfies(e -> assertThat(((InvalidJidException) e).input()).isEqualTo(input));
    }

    @Test
    void rejectsPartsLongerThan1023Octets() {
        String longLocal = "a".repeat(1024);
        assertThatThrownBy(() -> Jid.of(longLocal + "@example.com")).hasMessageContaining("localpart is 1024 octets");
        assertThatThrownBy(() -> Jid.of("a@example.com/" + "é".repeat(512))).hasMessageContaining("resourcepart is 1024 octets");
        assertThat(Jid.of("a".repeat(1023) + "@example.com").local()).hasSize(1023);
    }

    @Test
    void rejectsALabelLongerThan63Octets() {
        assertThatThrownBy(() -> Jid.of("a@" + "b".repeat(64) + ".com")).hasMessageContaining("domainpart");
    }

    @Test
    void equalsUsesTheEnforcedForm() {
        assertThat(Jid.of("JULIET@Example.COM")).isEqualTo(Jid.of("juliet@example.com")).hasSameHashCodeAs(Jid.of("juliet@example.com"));
        assertThat(Jid.of("a@b/X")).isNotEqualTo(Jid.of("a@b/x"));
        assertThat(Jid.tryParse("@")).isEmpty();
        assertThat(Jid.of("a@b").withResource("r")).isEqualTo(Jid.of("a@b/r"));
    }

    @Test
    void theDomainJidIsTheDomainAlone() {
        assertThat(Jid.of("Alice@Example.ORG/phone").domainJid()).isEqualTo(Jid.of("example.org"));
        Jid domain = Jid.of("example.org");
        assertThat(domain.domainJid()).isSameAs(domain);
    }
}
