package dev.strata.stream.internal;

import java.security.SecureRandom;
import java.util.HexFormat;

import org.osgi.service.component.annotations.Component;

import dev.strata.api.InvalidJidException;
import dev.strata.api.Jid;
import dev.strata.api.module.IqHandler;
import dev.strata.api.module.IqRoute;
import dev.strata.api.stanza.Iq;
import dev.strata.api.stanza.Origin;
import dev.strata.api.stanza.Session;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.stanza.StreamError;
import dev.strata.api.stream.Feature;
import dev.strata.api.stream.Negotiation;
import dev.strata.api.stream.StreamFeature;
import dev.strata.api.xml.Element;

/**
 * RFC 6120 §7 resource binding as a stream feature: the client's resource, or one the server
 * makes up; a bound stream's further binds are {@code not-allowed} (§7.7.2.1), as the IQ handler
 * it also is answers once the session routes its IQs.
 */
@Feature(namespace = BindFeature.NS, iq = BindFeature.NS)
@IqRoute(namespace = BindFeature.NS, type = "set", target = IqRoute.To.SERVER)
@Component(service = {StreamFeature.class, IqHandler.class})
public final class BindFeature implements StreamFeature, IqHandler {
    static final String NS = "urn:ietf:params:xml:ns:xmpp-bind";
    private static final SecureRandom RANDOM = new SecureRandom();

    @Override
    public Element offer(Stage stage, Negotiation n) {
        return stage == Stage.AFTER_AUTH && n.session() == null ? Element.of("bind", NS) : null;
    }

    @Override
    public void negotiate(Element stanza, Negotiation n) {
        if (n.user() == null) {
            n.fail(StreamError.NOT_AUTHORIZED, "Authenticate first (RFC 6120 §6)");
            return;
        }
        n.answer(stanza, iq -> {
            if (iq.type() != Iq.Type.SET || !iq.payload().is("bind", NS)) throw new StanzaException(StanzaError.BAD_REQUEST, "Bind with <iq type='set'><bind/></iq>");
            String requested = iq.payload().child("resource", NS).map(Element::text).map(String::strip).orElse("");
            Jid full;
            try {
                full = n.user().withResource(requested.isEmpty() ? generatedResource() : requested);
            } catch (InvalidJidException e) {
                throw new StanzaException(StanzaError.BAD_REQUEST, "The resource is not valid: " + e.getMessage());
            }
            Session s = n.bind(full);
            return Element.builder("bind", NS).child(Element.builder("jid", NS).text(s.jid().toString()).build()).build();
        });
    }

    /** RFC 6120 §7.6: a resource the server makes up, unique enough not to clash (also Bind 2's when a client's own cannot be bound). */
    static String generatedResource() {
        byte[] b = new byte[6];
        RANDOM.nextBytes(b);
        return "strata-" + HexFormat.of().formatHex(b);
    }

    @Override
    public Element handle(Iq iq, Origin from) throws StanzaException {
        throw new StanzaException(StanzaError.NOT_ALLOWED, "A resource is bound already");
    }
}
