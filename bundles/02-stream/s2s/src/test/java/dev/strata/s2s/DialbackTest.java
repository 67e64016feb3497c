package dev.strata.s2s;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** XEP-0185's recommended dialback key, with the example values the XEP and other servers' tests use. */
class DialbackTest {
    @Test
    void keysAreHmacSha256OfTheDomainsAndStreamIdKeyedWithTheSecretsHash() {
        Dialback d = new Dialback("s3cr3tf0rd14lb4ck");
        assertThat(d.key("xmpp.example.com", "example.org", "D60000229F")).isEqualTo("37c69b1cf07a3f67c04a5ef5902fa5114f2c76fe4a2686482ba5b89323075643");
        assertThat(d.valid("xmpp.example.com", "example.org", "D60000229F", "37C69B1CF07A3F67C04A5EF5902FA5114F2C76FE4A2686482BA5B89323075643 ")).isTrue();
        assertThat(d.valid("xmpp.example.com", "example.org", "D60000229E", "37c69b1cf07a3f67c04a5ef5902fa5114f2c76fe4a2686482ba5b89323075643")).isFalse();
        assertThat(d.valid("example.org", "xmpp.example.com", "D60000229F", "37c69b1cf07a3f67c04a5ef5902fa5114f2c76fe4a2686482ba5b89323075643")).isFalse();
        assertThat(new Dialback("another").valid("xmpp.example.com", "example.org", "D60000229F", d.key("xmpp.example.com", "example.org", "D60000229F")))
                .isFalse();
        assertThat(d.valid("a", "b", "c", null)).isFalse();
    }


    @Test
    void elementsAreWrittenWithTheDbPrefixAndEscaped() {
        var result = dev.strata.api.xml.Element.builder("result", Dialback.NS).attribute("from", "a.test").attribute("to", "b&.test").text("k<1>").build();
        assertThat(Dialback.toXml(result)).isEqualTo("<db:result from=\"a.test\" to=\"b&amp;.test\">k&lt;1&gt;</db:result>");
        var error = dev.strata.api.xml.Element.builder("result", Dialback.NS).attribute("type", "error")
                .child(dev.strata.api.xml.Element.builder("error", "jabber:server").attribute("type", "cancel")
                        .child(dev.strata.api.xml.Element.of("item-not-found", "urn:ietf:params:xml:ns:xmpp-stanzas")).build()).build();
        assertThat(Dialback.toXml(error)).isEqualTo("<db:result type=\"error\"><error type=\"cancel\"><item-not-found "
                + "xmlns=\"urn:ietf:params:xml:ns:xmpp-stanzas\"/></error></db:result>");
        assertThat(Dialback.toXml(dev.strata.api.xml.Element.builder("verify", Dialback.NS).attribute("id", "x").build())).isEqualTo("<db:verify id=\"x\"/>");
    }
}
