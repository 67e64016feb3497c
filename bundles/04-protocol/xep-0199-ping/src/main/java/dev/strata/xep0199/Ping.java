package dev.strata.xep0199;

import org.osgi.service.component.annotations.Component;

import dev.strata.api.module.DiscoFeature;
import dev.strata.api.module.IqHandler;
import dev.strata.api.module.IqRoute;
import dev.strata.api.stanza.Iq;
import dev.strata.api.stanza.Origin;
import dev.strata.api.xml.Element;

/** XEP-0199 XMPP Ping 2.0.1, §4.2 client-to-server: the server answers a ping with an empty result. */
@IqRoute(namespace = Ping.NS, type = "get")
@DiscoFeature(feature = Ping.NS)
@Component(service = IqHandler.class)
public final class Ping implements IqHandler {
    static final String NS = "urn:xmpp:ping";

    @Override
    public Element handle(Iq ping, Origin from) {
        return null;
    }
}
