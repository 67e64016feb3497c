package dev.strata.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * JID preparation (RFC 7622, PRECIS) on anything: a string is either refused with
 * {@link InvalidJidException} or becomes a JID whose text parses back to the same JID.
 */
class JidFuzzTest {
    @FuzzTest(maxDuration = "30s")
    void aJidIsRefusedCleanlyOrRoundTrips(String text) {
        if (text == null) return;
        Jid jid;
        try {
            jid = Jid.of(text);
        } catch (InvalidJidException refused) {
            return;
        }
        Jid again = Jid.of(jid.toString());
        assertThat(again).isEqualTo(jid);
        assertThat(again.toString()).isEqualTo(jid.toString());
        assertThat(jid.bare().toString()).isEqualTo(jid.resource() == null ? jid.toString() : jid.toString().substring(0, jid.toString().length() - jid.resource().length() - 1));
    }
}
