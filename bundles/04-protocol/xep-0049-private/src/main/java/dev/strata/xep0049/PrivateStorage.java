package dev.strata.xep0049;

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
 * XEP-0049 Private XML Storage 1.2: a user stores XML fragments keyed by their namespace and gets
 * them back; nobody else can. Reserved namespaces (jabber:*, http://jabber.org/*, vcard-temp) are
 * refused with not-acceptable, as the XEP allows.
 */
@IqRoute(namespace = PrivateStorage.NS, target = IqRoute.To.SELF)
@DiscoFeature(feature = PrivateStorage.NS)
@Component(service = IqHandler.class)
public final class PrivateStorage implements IqHandler {
    static final String NS = "jabber:iq:private";
    private static final String STORE = DocumentListener.PRIVATE;

    private final KeyValueStore store;

    @Activate
    public PrivateStorage(@Reference KeyValueStore store) {
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
        List<Element> children = iq.payload().elements().toList();
        if (children.isEmpty()) throw new StanzaException(StanzaError.NOT_ACCEPTABLE, "Name the fragment's element and namespace");
        String ns = children.getFirst().namespace();
        if (ns.isEmpty() || ns.startsWith("jabber:") || ns.startsWith("http://jabber.org/") || ns.equals("vcard-temp")) {
            throw new StanzaException(StanzaError.NOT_ACCEPTABLE, "The namespace '" + ns + "' is reserved");
        }
        if (children.stream().anyMatch(c -> !c.namespace().equals(ns))) {
            throw new StanzaException(StanzaError.NOT_ACCEPTABLE, "One namespace per request (XEP-0049 §2.3)");
        }
        if (iq.type() == Iq.Type.SET) {
            Element document = Element.builder("query", NS).children(children).build();
            store.put(from.jid(), STORE, ns, document);
            told(from.jid().bare(), ns, document);
            return null;
        }
        if (children.size() != 1) throw new StanzaException(StanzaError.NOT_ACCEPTABLE, "A get names exactly one element");
        return store.get(from.jid(), STORE, ns).orElseGet(() -> Element.builder("query", NS).child(children.getFirst()).build());
    }
}
