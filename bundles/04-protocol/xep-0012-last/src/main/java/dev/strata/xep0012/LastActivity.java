package dev.strata.xep0012;

import java.lang.management.ManagementFactory;

import org.osgi.service.component.annotations.Component;

import dev.strata.api.module.DiscoFeature;
import dev.strata.api.module.IqHandler;
import dev.strata.api.module.IqRoute;
import dev.strata.api.stanza.Iq;
import dev.strata.api.stanza.Session;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.xml.Element;

/**
 * XEP-0012 Last Activity 2.0, §5: asked of the server, the seconds since it started. Asked of an
 * account, it needs presence subscriptions (§4) and arrives with the IM core; until then such a
 * query is answered service-unavailable.
 */
@IqRoute(namespace = LastActivity.NS, type = "get")
@DiscoFeature(feature = LastActivity.NS)
@Component(service = IqHandler.class)
public final class LastActivity implements IqHandler {
    static final String NS = "jabber:iq:last";

    @Override
    public Element handle(Iq iq, Session from) throws StanzaException {
        if (iq.to().local() != null) throw new StanzaException(StanzaError.SERVICE_UNAVAILABLE, null);
        long seconds = ManagementFactory.getRuntimeMXBean().getUptime() / 1000;
        return Element.builder("query", NS).attribute("seconds", Long.toString(seconds)).build();
    }
}
