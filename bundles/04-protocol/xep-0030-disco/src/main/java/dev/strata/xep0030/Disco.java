package dev.strata.xep0030;

import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceListener;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

import dev.strata.api.Jid;
import dev.strata.api.module.AccountDisco;
import dev.strata.api.module.Caps;
import dev.strata.api.module.DiscoExtension;
import dev.strata.api.module.ServerDisco;
import dev.strata.api.module.DiscoFeature;
import dev.strata.api.module.IqHandler;
import dev.strata.api.module.IqRoute;
import dev.strata.api.stanza.Iq;
import dev.strata.api.stanza.Origin;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.xml.Element;

/**
 * XEP-0030 Service Discovery 2.5rc3, disco#info of the server: the identity server/im and every
 * {@code strata.disco.feature} that a registered service carries right now, so loading or
 * removing a module changes what the server advertises. Queries to an account's bare JID get
 * the account identity and the {@code strata.disco.account} features (§3.1 of XEP-0030 and RFC 6121 §1.3 on the server answering for accounts).
 */
@IqRoute(namespace = Disco.INFO, type = "get")
@DiscoFeature(feature = {Disco.INFO})
@Component(service = {IqHandler.class, ServerDisco.class})
public final class Disco implements IqHandler, ServerDisco {
    static final String INFO = "http://jabber.org/protocol/disco#info";
    private static final String FEATURES_FILTER = "(strata.disco.feature=*)";
    /** Features of every account's bare JID (XEP-0313 archives, PEP): few queries ask, so listed each time. */
    private static final String ACCOUNT_FEATURES = "(strata.disco.account=*)";

    private final BundleContext context;

    /** What modules add to queries to an account (XEP-0163 PEP nodes). */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private final List<AccountDisco> accountDisco = new CopyOnWriteArrayList<>();

    /** XEP-0128 forms contributed by modules (XEP-0157 contact addresses, ...). */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private final List<DiscoExtension> extensions = new CopyOnWriteArrayList<>();

    /**
     * The features as the registry last listed them; dropped whenever a service with a feature
     * comes, changes or goes. Listing them is a filtered query over every service of the
     * framework, and each login's stream features (XEP-0115 caps) asks for them.
     */
    private volatile Listed features;
    private final AtomicLong generation = new AtomicLong();
    private final ServiceListener invalidate = event -> generation.incrementAndGet();

    /** A listing and the registry generation it was taken in; it counts only while that generation lasts. */
    private record Listed(long generation, Set<String> features) {
    }

    @Activate
    public Disco(BundleContext context) throws InvalidSyntaxException {
        this.context = context;
        context.addServiceListener(invalidate, FEATURES_FILTER);
    }

    @Deactivate
    void deactivate() {
        context.removeServiceListener(invalidate);
    }

    @Override
    public Element handle(Iq iq, Origin from) throws StanzaException {
        String node = iq.payload().attribute("node");
        if (node != null && iq.element().attribute("to") == null) { // RFC 6120 §10.3.3: no 'to' is the sender's account too (PEP nodes)
            Element info = nodeInfo(from.jid().bare(), node, from);
            if (info != null) return info;
        }
        if (iq.to().local() != null) {
            Jid account = iq.to().bare();
            if (node != null) {
                Element info = nodeInfo(account, node, from);
                if (info != null) return info;
                throw new StanzaException(StanzaError.ITEM_NOT_FOUND, "No such node: " + node);
            }
            Element.Builder query = Element.builder("query", INFO);
            query.child(identity("account", "registered", null));
            for (AccountDisco d : accountDisco) query.children(d.identities(account));
            Set<String> accountFeatures = new TreeSet<>(list(ACCOUNT_FEATURES, "strata.disco.account"));
            accountFeatures.add(INFO);
            for (String f : accountFeatures) query.child(feature(f));
            return query.build();
        }
        Element info = info();
        if (node == null) return info;
        // XEP-0115 §6.2: the node#ver the server advertises in its stream features
        if (node.equals(Caps.NODE + "#" + Caps.ver(info))) return info.toBuilder().attribute("node", node).build();
        throw new StanzaException(StanzaError.ITEM_NOT_FOUND, "No such node: " + node);
    }

    /** The info of an account's node from the first module that knows it, or null. */
    private Element nodeInfo(Jid account, String node, Origin from) throws StanzaException {
        for (AccountDisco d : accountDisco) {
            Element info = d.info(account, node, from.jid());
            if (info != null) return info;
        }
        return null;
    }

    @Override
    public Element info() {
        Element.Builder query = Element.builder("query", INFO);
        query.child(identity("server", "im", "Strata"));
        for (String f : features()) query.child(feature(f));
        for (DiscoExtension extension : extensions) query.child(extension.form());
        return query.build();
    }

    /** The features of every registered service, sorted and without duplicates. */
    Set<String> features() {
        Listed known = features;
        long now = generation.get();
        if (known != null && known.generation() == now) return known.features();
        Set<String> listed = list(); // a change while listing bumps the generation: this listing is then never served
        features = new Listed(now, listed);
        return listed;
    }

    private Set<String> list() {
        return list(FEATURES_FILTER, "strata.disco.feature");
    }

    /** The values of a feature property over every registered service that has it. */
    private Set<String> list(String filter, String property) {
        Set<String> found = new TreeSet<>();
        ServiceReference<?>[] refs;
        try {
            refs = context.getAllServiceReferences(null, filter);
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        if (refs == null) return found;
        for (ServiceReference<?> r : refs) {
            switch (r.getProperty(property)) {
                case String s -> found.add(s);
                case String[] a -> found.addAll(List.of(a));
                default -> { }
            }
        }
        return Collections.unmodifiableSet(found);
    }

    private static Element identity(String category, String type, String name) {
        Element.Builder b = Element.builder("identity", INFO).attribute("category", category).attribute("type", type);
        if (name != null) b.attribute("name", name);
        return b.build();
    }

    private static Element feature(String var) {
        return Element.builder("feature", INFO).attribute("var", var).build();
    }
}
