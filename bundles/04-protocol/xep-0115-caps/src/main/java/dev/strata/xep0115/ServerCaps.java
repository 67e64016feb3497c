package dev.strata.xep0115;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

import dev.strata.api.module.Caps;
import dev.strata.api.stream.Feature;
import dev.strata.api.stream.Negotiation;
import dev.strata.api.stream.StreamFeature;
import dev.strata.api.xml.Element;

/**
 * XEP-0115 1.6.0 §6.3: the server's own capabilities in its stream features, a SHA-1
 * verification string over its disco#info as it is now (loading a module changes it). The disco
 * module answers disco#info for the advertised node#ver.
 */
@Feature(namespace = Caps.NS)
@Component(service = StreamFeature.class)
public final class ServerCaps implements StreamFeature {
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile dev.strata.api.module.ServerDisco disco;

    /** The last disco#info and its {@code <c/>}: recomputed only when the info changed (a module came or went). */
    private record Offered(Element info, Element c) {
    }

    private volatile Offered last;

    @Override
    public Element offer(Stage stage, Negotiation negotiation) {
        var d = disco;
        if (d == null) return null;
        Element info = d.info();
        Offered o = last;
        if (o != null && o.info().equals(info)) return o.c();
        Element c = Element.builder("c", Caps.NS).attribute("hash", "sha-1").attribute("node", Caps.NODE).attribute("ver", Caps.ver(info)).build();
        last = new Offered(info, c);
        return c;
    }

    @Override
    public void negotiate(Element element, Negotiation negotiation) {
        negotiation.send(Element.of("failure", Caps.NS)); // nothing to negotiate
    }
}
