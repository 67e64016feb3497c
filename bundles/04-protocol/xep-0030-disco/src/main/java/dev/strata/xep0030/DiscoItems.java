package dev.strata.xep0030;

import org.osgi.service.component.annotations.Component;

import dev.strata.api.module.DiscoFeature;
import dev.strata.api.module.IqHandler;
import dev.strata.api.module.IqRoute;
import dev.strata.api.stanza.Iq;
import dev.strata.api.stanza.Session;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.xml.Element;

/** XEP-0030 disco#items of the server: no items yet (components and MUC services will list themselves). */
@IqRoute(namespace = DiscoItems.ITEMS, type = "get")
@DiscoFeature(feature = DiscoItems.ITEMS)
@Component(service = IqHandler.class)
public final class DiscoItems implements IqHandler {
    static final String ITEMS = "http://jabber.org/protocol/disco#items";

    @Override
    public Element handle(Iq iq, Session from) throws StanzaException {
        if (iq.payload().attribute("node") != null) {
            throw new StanzaException(StanzaError.ITEM_NOT_FOUND, "No such node: " + iq.payload().attribute("node"));
        }
        return Element.of("query", ITEMS);
    }
}
