package dev.strata.xep0030;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

import dev.strata.api.module.AccountDisco;
import dev.strata.api.module.DiscoFeature;
import dev.strata.api.module.DiscoItemsProvider;
import dev.strata.api.module.IqHandler;
import dev.strata.api.module.IqRoute;
import dev.strata.api.stanza.DomainService;
import dev.strata.api.stanza.Iq;
import dev.strata.api.stanza.Origin;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.xml.Element;

/**
 * XEP-0030 disco#items of the server: at the top level, the services hosted on their own domains
 * ({@link DomainService}s whose domain is under the one asked, e.g. {@code conference.example.org}
 * for {@code example.org}) while they are registered; and what the registered
 * {@link DiscoItemsProvider}s list, at the top level or under their node (XEP-0050 commands);
 * {@code item-not-found} for a node nobody lists.
 */
@IqRoute(namespace = DiscoItems.ITEMS, type = "get")
@DiscoFeature(feature = DiscoItems.ITEMS)
@Component(service = IqHandler.class)
public final class DiscoItems implements IqHandler {
    static final String ITEMS = "http://jabber.org/protocol/disco#items";

    private record Provider(DiscoItemsProvider provider, String node) {
    }

    private record Service(DomainService service, List<String> domains, String name) {
    }

    private final List<Provider> providers = new CopyOnWriteArrayList<>();

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private final List<AccountDisco> accountDisco = new CopyOnWriteArrayList<>();
    private final List<Service> services = new CopyOnWriteArrayList<>();

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void addService(DomainService s, Map<String, Object> props) {
        List<String> domains = switch (props.get(DomainService.DOMAIN)) {
            case String d -> List.of(d);
            case String[] a -> List.of(a);
            case null, default -> List.of();
        };
        String name = props.get(DomainService.NAME) instanceof String n && !n.isBlank() ? n : null;
        services.add(new Service(s, domains, name));
    }

    void removeService(DomainService s) {
        services.removeIf(x -> x.service() == s);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void addProvider(DiscoItemsProvider p, Map<String, Object> props) {
        providers.add(new Provider(p, (String) props.get(DiscoItemsProvider.NODE)));
    }

    void removeProvider(DiscoItemsProvider p) {
        providers.removeIf(x -> x.provider() == p);
    }

    @Override
    public Element handle(Iq iq, Origin from) throws StanzaException {
        String node = iq.payload().attribute("node");
        Element.Builder query = Element.builder("query", ITEMS);
        if (node != null) query.attribute("node", node);
        if (node != null && iq.element().attribute("to") == null // RFC 6120 §10.3.3: no 'to' is the sender's account too (PEP nodes)
                && accountItems(from.jid().bare(), node, from, query)) {
            return query.build();
        }
        if (iq.to().local() != null) { // an account: what modules list for it (XEP-0163 PEP nodes)
            if (!accountItems(iq.to().bare(), node, from, query) && node != null) throw new StanzaException(StanzaError.ITEM_NOT_FOUND, "No such node: " + node);
            return query.build();
        }
        boolean known = node == null;
        if (node == null) {
            String suffix = "." + iq.to().domain();
            for (Service s : services) {
                for (String d : s.domains()) {
                    if (!d.endsWith(suffix)) continue;
                    Element.Builder item = Element.builder("item", ITEMS).attribute("jid", d);
                    if (s.name() != null) item.attribute("name", s.name());
                    query.child(item.build());
                }
            }
        }
        for (Provider p : providers) {
            if (!Objects.equals(p.node(), node)) continue;
            known = true;
            query.children(p.provider().items(from));
        }
        if (!known) throw new StanzaException(StanzaError.ITEM_NOT_FOUND, "No such node: " + node);
        return query.build();
    }

    /** Adds what modules list for an account's node (null: its top level) to {@code query}; false when none knows the node. */
    private boolean accountItems(dev.strata.api.Jid account, String node, Origin from, Element.Builder query) throws StanzaException {
        boolean found = false;
        for (AccountDisco d : accountDisco) {
            List<Element> items = d.items(account, node, from.jid());
            if (items == null) continue;
            found = true;
            query.children(items);
        }
        return found;
    }
}
