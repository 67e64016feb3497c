package dev.strata.xep0163;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Deactivate;

import dev.strata.api.module.IqHandler;
import dev.strata.api.module.IqRoute;
import dev.strata.api.stanza.Iq;
import dev.strata.api.stanza.Origin;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.xml.Element;
import dev.strata.pubsub.LazyEngine;
import dev.strata.pubsub.PubSubEngine;

/** Owner requests ({@code pubsub#owner}: configure, delete, purge, subscriptions, affiliations) to an account's PEP service. */
@IqRoute(namespace = PubSubEngine.NS_OWNER, target = IqRoute.To.ACCOUNT)
@Component(service = IqHandler.class)
public final class PepOwnerIq implements IqHandler {
    private final LazyEngine engine;

    @Activate
    public PepOwnerIq(BundleContext context) {
        this.engine = new LazyEngine(context);
    }

    @Deactivate
    void deactivate() {
        engine.close();
    }

    @Override
    public Element handle(Iq iq, Origin from) throws StanzaException {
        return engine.require().handle(iq, PepIq.account(iq, from), from.jid());
    }
}
