package dev.strata.xep0054;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

import dev.strata.api.Jid;
import dev.strata.api.module.DiscoFeature;
import dev.strata.api.module.DocumentListener;
import dev.strata.api.module.IqHandler;
import dev.strata.api.module.IqRoute;
import dev.strata.api.stanza.Iq;
import dev.strata.api.stanza.Origin;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.storage.KeyValueStore;
import dev.strata.api.xml.Element;

/**
 * XEP-0054 vcard-temp 1.2: a user sets their own vCard and anyone reads it; the server answers
 * for the account (an empty vCard when none was stored, XEP-0054 §3.1). The server itself has no vCard (service-unavailable).
 */
@IqRoute(namespace = VCardTemp.NS, target = IqRoute.To.ACCOUNT)
@DiscoFeature(feature = VCardTemp.NS)
@Component(service = IqHandler.class)
public final class VCardTemp implements IqHandler {
    static final String NS = "vcard-temp";
    private static final String STORE = DocumentListener.VCARD;

    private final KeyValueStore store;

    @Activate
    public VCardTemp(@Reference KeyValueStore store) {
        this.store = store;
    }

    /** Modules that mirror this document elsewhere (XEP-0398, XEP-0411 conversions). */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private final List<DocumentListener> listeners = new CopyOnWriteArrayList<>();

    private void told(Jid account, String key, Element document) {
        DocumentListener.tell(listeners, account, STORE, key, document);
    }

    @Override
    public Element handle(Iq iq, Origin from) throws StanzaException {
        if (!iq.payload().is("vCard", NS)) throw new StanzaException(StanzaError.BAD_REQUEST, "Expected <vCard xmlns='vcard-temp'/>");
        Jid owner = iq.element().attribute("to") == null ? from.jid().bare() : iq.to().bare();
        if (iq.type() == Iq.Type.SET) {
            if (!owner.equals(from.jid().bare())) throw new StanzaException(StanzaError.FORBIDDEN, "Only the owner sets a vCard (XEP-0054 §3.2)");
            store.put(owner, STORE, "current", iq.payload());
            told(owner, "current", iq.payload());
            return null;
        }
        return store.get(owner, STORE, "current").orElseGet(() -> Element.of("vCard", NS));
    }
}
