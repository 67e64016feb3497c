package dev.strata.xep0163;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Deactivate;

import dev.strata.api.Jid;
import dev.strata.api.module.DiscoFeature;
import dev.strata.api.module.IqHandler;
import dev.strata.api.module.IqRoute;
import dev.strata.api.stanza.Iq;
import dev.strata.api.stanza.Origin;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.xml.Element;
import dev.strata.pubsub.LazyEngine;
import dev.strata.pubsub.PubSubEngine;

/**
 * Pubsub requests to an account's bare JID (or with no 'to': the sender's own), answered by the
 * {@link PubSubEngine} for the account's PEP service. The server advertises pubsub and every
 * account its PEP features (XEP-0163 §6; Smack and the OMEMO libraries look for them there).
 */
@IqRoute(namespace = PubSubEngine.NS, target = IqRoute.To.ACCOUNT)
@DiscoFeature(feature = {PubSubEngine.NS, PepIq.P + "#publish", PepIq.P + "#access-whitelist", PepIq.P + "#publish-options"}, account = {PubSubEngine.NS, PubSubEngine.NS_OWNER, PepIq.P + "#access-presence",
    PepIq.P + "#access-open", PepIq.P + "#access-roster", PepIq.P + "#access-whitelist", PepIq.P + "#auto-create", PepIq.P + "#auto-subscribe",
    PepIq.P + "#config-node", PepIq.P + "#config-node-max", PepIq.P + "#create-and-configure", PepIq.P + "#create-nodes", PepIq.P + "#delete-items",
    PepIq.P + "#delete-nodes", PepIq.P + "#filtered-notifications", PepIq.P + "#item-ids", PepIq.P + "#last-published", PepIq.P + "#meta-data",
    PepIq.P + "#multi-items", PepIq.P + "#persistent-items", PepIq.P + "#presence-notifications", PepIq.P + "#presence-subscribe",
    PepIq.P + "#publish", PepIq.P + "#publish-options", PepIq.P + "#purge-nodes", PepIq.P + "#retract-items", PepIq.P + "#retrieve-affiliations",
    PepIq.P + "#retrieve-default", PepIq.P + "#retrieve-items", PepIq.P + "#retrieve-subscriptions", PepIq.P + "#subscribe",
    PepIq.P + "#modify-affiliations", PepIq.P + "#manage-subscriptions", PepIq.P + "#subscription-options", "http://jabber.org/protocol/rsm"})
@Component(service = IqHandler.class)
public final class PepIq implements IqHandler {
    static final String P = "http://jabber.org/protocol/pubsub";
    private final LazyEngine engine;

    @Activate
    public PepIq(BundleContext context) {
        this.engine = new LazyEngine(context);
    }

    @Deactivate
    void deactivate() {
        engine.close();
    }

    @Override
    public Element handle(Iq iq, Origin from) throws StanzaException {
        return engine.require().handle(iq, account(iq, from), from.jid());
    }

    /** The PEP service an IQ is for: its 'to', or the sender's own account when it has none (RFC 6120 §10.3.3). */
    static Jid account(Iq iq, Origin from) {
        return iq.element().attribute("to") == null ? from.jid().bare() : iq.to().bare();
    }
}
