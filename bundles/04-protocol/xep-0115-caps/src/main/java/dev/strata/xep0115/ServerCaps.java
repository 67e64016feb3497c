package dev.strata.xep0115;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

import dev.strata.api.module.Caps;
import dev.strata.api.stream.Negotiation;
import dev.strata.api.stream.StreamFeature;
import dev.strata.api.xml.Element;

/**
 * XEP-0115 1.6.0 §6.3: the server's own capabilities in its stream features, a SHA-1
 * verification string over its disco#info as it is now (loading a module changes it). The disco
 * module answers disco#info for the advertised node#ver.
 */
@Component(service = StreamFeature.class, property = StreamFeature.NAMESPACE + "=" + Caps.NS)
public final class ServerCaps implements StreamFeature {
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile dev.strata.api.module.ServerDisco disco;

    @Override
    public Element offer(Stage stage, Negotiation negotiation) {
        var d = disco;
        if (d == null) return null;
        return Element.builder("c", Caps.NS).attribute("hash", "sha-1").attribute("node", Caps.NODE).attribute("ver", Caps.ver(d.info())).build();
    }

    @Override
    public void negotiate(Element element, Negotiation negotiation) {
        negotiation.send(Element.of("failure", Caps.NS)); // nothing to negotiate
    }
}
