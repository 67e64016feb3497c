package dev.strata.stream.internal;

import org.osgi.service.component.annotations.Component;

import dev.strata.api.module.IqHandler;
import dev.strata.api.module.IqRoute;
import dev.strata.api.stanza.Iq;
import dev.strata.api.stanza.Origin;
import dev.strata.api.stanza.StreamError;
import dev.strata.api.stream.Feature;
import dev.strata.api.stream.Negotiation;
import dev.strata.api.stream.StreamFeature;
import dev.strata.api.xml.Element;

/**
 * RFC 3921 §3 session establishment, which RFC 6121 Appendix E keeps as an optional no-op for old
 * clients: offered as {@code <session><optional/></session>}, and answered with an empty result
 * (before or after binding).
 */
@Feature(namespace = LegacySession.NS, iq = LegacySession.NS)
@IqRoute(namespace = LegacySession.NS, type = "set", target = IqRoute.To.SERVER)
@Component(service = {StreamFeature.class, IqHandler.class})
public final class LegacySession implements StreamFeature, IqHandler {
    static final String NS = "urn:ietf:params:xml:ns:xmpp-session";

    @Override
    public Element offer(Stage stage, Negotiation n) {
        return stage == Stage.AFTER_AUTH && n.session() == null ? Element.builder("session", NS).child(Element.of("optional", NS)).build() : null;
    }

    @Override
    public void negotiate(Element stanza, Negotiation n) {
        if (n.user() == null) {
            n.fail(StreamError.NOT_AUTHORIZED, "Authenticate first (RFC 6120 §6)");
            return;
        }
        n.send(Element.builder("iq", Iq.CLIENT_NS).attribute("type", "result").attribute("id", stanza.attribute("id")).build());
    }

    @Override
    public Element handle(Iq iq, Origin from) {
        return null;
    }
}
