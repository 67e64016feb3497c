package dev.strata.transport.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.strata.api.stanza.StreamError;
import dev.strata.api.transport.StreamHeader;
import dev.strata.api.xml.Element;

/** RFC 6120 §4 framing of a TCP stream: the header, features with the stream prefix, errors followed by the closing tag. */
class TcpFramingTest {
    @Test
    void theHeaderCarriesFromAndIdEscaped() {
        assertThat(TcpFraming.header(new StreamHeader("exa'mple.org", "a&b"))).isEqualTo("<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
                + "xmlns:stream='http://etherx.jabber.org/streams' id='a&amp;b' from='exa&apos;mple.org' version='1.0' xml:lang='en'>");
        assertThat(TcpFraming.header(null)).doesNotContain(" id=", " from=");
        assertThat(TcpFraming.header(new StreamHeader("gateway.example.org", "c1", StreamHeader.COMPONENT))).as("XEP-0114: no version")
                .isEqualTo("<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' "
                        + "id='c1' from='gateway.example.org' xml:lang='en'>");
    }

    @Test
    void featuresKeepTheStreamPrefixAndDeclareTheirNamespaces() {
        assertThat(TcpFraming.features(List.of(Element.of("bind", "urn:ietf:params:xml:ns:xmpp-bind"))))
                .isEqualTo("<stream:features><bind xmlns=\"urn:ietf:params:xml:ns:xmpp-bind\"/></stream:features>");
    }

    @Test
    void anErrorIsFollowedByTheClosingTagAndItsTextIsEscaped() {
        assertThat(TcpFraming.error(StreamError.POLICY_VIOLATION, "a < b"))
                .isEqualTo("<stream:error><policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
                        + "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams' xml:lang='en'>a &lt; b</text></stream:error></stream:stream>");
    }
}
