package dev.strata.stream.internal;

import java.util.Map;

import org.osgi.service.component.annotations.Component;

import dev.strata.api.stanza.StreamError;
import dev.strata.api.stream.Feature;
import dev.strata.api.stream.Negotiation;
import dev.strata.api.stream.StreamFeature;
import dev.strata.api.xml.Element;

/** XEP-0440 1.0.0: the channel-binding types this TLS session supports, offered beside the SASL mechanisms. */
@Feature(namespace = ChannelBindingTypes.NS)
@Component(service = StreamFeature.class)
public final class ChannelBindingTypes implements StreamFeature {
    static final String NS = "urn:xmpp:sasl-cb:0";

    @Override
    public Element offer(Stage stage, Negotiation n) {
        Map<String, byte[]> bindings = stage == Stage.BEFORE_AUTH ? Logins.channelBindings(n) : Map.of();
        if (bindings.isEmpty()) return null;
        Element.Builder b = Element.builder("sasl-channel-binding", NS);
        for (String type : bindings.keySet()) b.child(Element.builder("channel-binding", NS).attribute("type", type).build());
        return b.build();
    }

    @Override
    public void negotiate(Element element, Negotiation n) {
        n.fail(StreamError.UNSUPPORTED_STANZA_TYPE, "Nothing is negotiated in " + NS);
    }
}
