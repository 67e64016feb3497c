package dev.strata.xep0060;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

import org.osgi.service.component.annotations.Activate;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.Jid;
import dev.strata.api.roster.RosterItem;
import dev.strata.api.roster.Rosters;
import dev.strata.api.stanza.Iq;
import dev.strata.api.stanza.Origin;
import dev.strata.api.stanza.Router;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.storage.MamQuery;
import dev.strata.api.storage.SqlDatabase;
import dev.strata.api.xml.DataForm;
import dev.strata.api.xml.Element;
import dev.strata.pubsub.PubSubEngine;
import dev.strata.pubsub.PubSubHost;
import dev.strata.pubsub.PubSubListener;

/**
 * XEP-0060 1.26 for every pubsub service of the server: the owner and entity use cases of §6–§8
 * with their error conditions, access models, publish-options, notifications, and storage in SQL.
 * A service's nodes are read from the database the first time the service is asked, then kept;
 * every change is written (and durable) before the request is answered. One monitor per service
 * orders its requests, so an account's PEP service or one pubsub domain works in order while
 * others run in parallel.
 */
@Component(service = PubSubEngine.class)
public final class Engine implements PubSubEngine {
    private static final Logger LOG = LoggerFactory.getLogger(Engine.class);
    static final String SUBSCRIBE_OPTIONS = "http://jabber.org/protocol/pubsub#subscribe_options";
    static final String SUBSCRIBE_AUTHORIZATION = "http://jabber.org/protocol/pubsub#subscribe_authorization";
    private static final String NODE_NS = "urn:strata:pubsub:node";
    private static final Set<String> AFFILIATIONS = Set.of("owner", "publisher", "publish-only", "member", "none", "outcast");

    private final Router router;
    private final NodeStore store;
    private final Map<Jid, Svc> services = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong(ThreadLocalRandom.current().nextLong(1L << 40));

    /** The policies of the kinds of service (they reference the engine: got when used, see {@link Whiteboard}). */
    private final Whiteboard<PubSubHost> hosts;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile Rosters rosters;

    /** Who follows every change (the conversions; they reference the engine too). */
    private final Whiteboard<PubSubListener> listeners;

    @Activate
    public Engine(BundleContext context, @Reference Router router, @Reference SqlDatabase db) {
        this(context, router, new NodeStore(db));
    }

    Engine(BundleContext context, Router router, NodeStore store) {
        this.router = router;
        this.store = store;
        this.hosts = new Whiteboard<>(PubSubHost.class, context);
        this.listeners = new Whiteboard<>(PubSubListener.class, context);
    }

    @Deactivate
    void deactivate() {
        hosts.close();
        listeners.close();
    }

    void addHost(PubSubHost h) {
        hosts.add(h);
    }

    void addListener(PubSubListener l) {
        listeners.add(l);
    }

    void rosters(Rosters r) {
        rosters = r;
    }

    // --- model --------------------------------------------------------------------------------------

    /** One service's nodes; its monitor orders every request to the service. */
    private static final class Svc {
        final Jid jid;
        final Map<String, Node> nodes = new TreeMap<>();

        Svc(Jid jid) {
            this.jid = jid;
        }
    }

    private static final class Node {
        final String name;
        NodeConfig config;
        final Map<Jid, String> affiliations = new LinkedHashMap<>();
        final Map<Jid, Sub> subscriptions = new LinkedHashMap<>();
        long seq;
        int count;
        Item last;

        Node(String name, NodeConfig config) {
            this.name = name;
            this.config = config;
        }

        Element toElement() {
            Element.Builder b = Element.builder("node", NODE_NS).attribute("name", name).child(config.toElement());
            affiliations.forEach((j, a) -> b.child(Element.builder("affiliation", NODE_NS).attribute("jid", j.toString()).attribute("affiliation", a).build()));
            for (Sub s : subscriptions.values()) {
                Element.Builder e = Element.builder("subscription", NODE_NS).attribute("jid", s.jid.toString()).attribute("subid", s.subid)
                        .attribute("subscription", s.state);
                if (!s.deliver) e.attribute("deliver", "false");
                b.child(e.build());
            }
            return b.build();
        }

        List<Jid> with(String affiliation) {
            return affiliations.entrySet().stream().filter(e -> e.getValue().equals(affiliation)).map(Map.Entry::getKey).toList();
        }
    }

    private record Sub(Jid jid, String subid, String state, boolean deliver) {
        Sub with(String newState) {
            return new Sub(jid, subid, newState, deliver);
        }
    }

    private PubSubHost host(Jid service) throws StanzaException {
        PubSubHost h = hostOrNull(service);
        if (h != null) return h;
        throw new StanzaException(StanzaError.SERVICE_UNAVAILABLE, "There is no pubsub service at " + service + " now");
    }

    /** The host that serves {@code service} now, or null (for the methods that answer "nothing" then). */
    private PubSubHost hostOrNull(Jid service) {
        for (PubSubHost h : hosts.all()) if (h.serves(service)) return h;
        return null;
    }

    @Override
    public boolean serves(Jid service) {
        return hostOrNull(service) != null;
    }

    private Svc svc(Jid service, PubSubHost host) {
        return services.computeIfAbsent(service, s -> load(s, host));
    }

    private Svc load(Jid service, PubSubHost host) {
        Svc svc = new Svc(service);
        for (NodeStore.Loaded l : store.load(service)) {
            try {
                NodeConfig defaults = defaults(host, service, l.name());
                Element form = l.doc().child("x", DataForm.NS).orElseThrow(() -> new StanzaException(StanzaError.INTERNAL_SERVER_ERROR, "no configuration"));
                Node n = new Node(l.name(), NodeConfig.fromElement(form, defaults, host.limits().maxPayload()));
                for (Element a : l.doc().elements().filter(e -> e.is("affiliation", NODE_NS)).toList()) {
                    n.affiliations.put(Jid.of(a.attribute("jid")), a.attribute("affiliation"));
                }
                for (Element s : l.doc().elements().filter(e -> e.is("subscription", NODE_NS)).toList()) {
                    Jid j = Jid.of(s.attribute("jid"));
                    n.subscriptions.put(j, new Sub(j, s.attribute("subid"), s.attribute("subscription"), !"false".equals(s.attribute("deliver"))));
                }
                n.count = l.count();
                n.seq = l.seq();
                n.last = l.last();
                svc.nodes.put(n.name, n);
            } catch (StanzaException | RuntimeException e) {
                LOG.error("The stored node {} of {} cannot be read and is left out: {}", l.name(), service, e.getMessage());
            }
        }
        return svc;
    }

    private static NodeConfig defaults(PubSubHost host, Jid service, String node) throws StanzaException {
        return NodeConfig.defaults(host.defaults(service, node), host.limits().maxPayload());
    }

    // --- errors -------------------------------------------------------------------------------------

    static Element condition(String name) {
        return Element.of(name, NS_ERRORS);
    }

    static Element unsupported(String feature) {
        return Element.builder("unsupported", NS_ERRORS).attribute("feature", feature).build();
    }

    private static StanzaException error(StanzaError e, String text, String condition) {
        return new StanzaException(e, text, condition(condition));
    }

    private static StanzaException noNode(String node) {
        return new StanzaException(StanzaError.ITEM_NOT_FOUND, "There is no node '" + node + "'");
    }

    private static String nodeName(Element e) throws StanzaException {
        String node = e.attribute("node");
        if (node == null || node.isEmpty()) throw error(StanzaError.BAD_REQUEST, "Name the node", "nodeid-required");
        return node;
    }

    private static Node node(Svc svc, String name) throws StanzaException {
        Node n = svc.nodes.get(name);
        if (n == null) throw noNode(name);
        return n;
    }

    // --- requests -----------------------------------------------------------------------------------

    @Override
    public Element handle(Iq iq, Jid service, Jid requester) throws StanzaException {
        PubSubHost host = host(service);
        Element pubsub = iq.payload();
        boolean owner = pubsub.namespace().equals(NS_OWNER);
        if (!pubsub.name().equals("pubsub") || !(owner || pubsub.namespace().equals(NS))) {
            throw new StanzaException(StanzaError.BAD_REQUEST, "Expected <pubsub xmlns='" + NS + "'/> or the #owner namespace");
        }
        String ns = pubsub.namespace();
        List<Element> actions = pubsub.elements().filter(e -> e.namespace().equals(ns)).toList();
        Element action = actions.stream().filter(e -> !Set.of("configure", "options", "publish-options").contains(e.name()) || actions.size() == 1)
                .findFirst().orElseThrow(() -> new StanzaException(StanzaError.BAD_REQUEST, "The <pubsub/> element names no request"));
        boolean get = iq.type() == Iq.Type.GET;
        Svc svc = svc(service, host);
        synchronized (svc) {
            if (owner) {
                return switch (action.name() + (get ? "/get" : "/set")) {
                    case "configure/get" -> configureForm(svc, action, requester, host);
                    case "configure/set" -> configure(svc, action, requester, host);
                    case "default/get" -> Element.builder("pubsub", NS_OWNER)
                            .child(Element.builder("default", NS_OWNER).child(defaults(host, service, null).form("form", host.limits().maxItems())).build()).build();
                    case "delete/set" -> delete(svc, action, requester, host);
                    case "purge/set" -> {
                        purge(svc, nodeName(action), requester, host);
                        yield null;
                    }
                    case "subscriptions/get" -> ownerSubscriptions(svc, action, requester, host);
                    case "subscriptions/set" -> setSubscriptions(svc, action, requester, host);
                    case "affiliations/get" -> ownerAffiliations(svc, action, requester, host);
                    case "affiliations/set" -> setAffiliations(svc, action, requester, host);
                    default -> throw new StanzaException(StanzaError.BAD_REQUEST, "<" + action.name() + "/> is not an owner request of type " + iq.type().value());
                };
            }
            Element options = pubsub.child("options", NS).orElse(null);
            return switch (action.name() + (get ? "/get" : "/set")) {
                case "create/set" -> create(svc, action, pubsub.child("configure", NS).orElse(null), requester, host);
                case "publish/set" -> publish(svc, action, pubsub.child("publish-options", NS).orElse(null), requester, host);
                case "retract/set" -> retract(svc, action, requester, host);
                case "subscribe/set" -> subscribe(svc, action, options, requester, host);
                case "unsubscribe/set" -> unsubscribe(svc, action, requester, host);
                case "options/get" -> subscriptionOptions(svc, action, requester);
                case "options/set" -> setSubscriptionOptions(svc, action, requester, host);
                case "items/get" -> items(svc, action, pubsub.child("set", MamQuery.RSM).orElse(null), requester, host);
                case "subscriptions/get" -> subscriptions(svc, action, requester);
                case "affiliations/get" -> affiliations(svc, action, requester);
                case "default/get" -> Element.builder("pubsub", NS).child(Element.builder("default", NS).child(subscribeOptionsForm(true)).build()).build();
                case "configure/get", "configure/set", "delete/set", "purge/set" -> throw new StanzaException(StanzaError.BAD_REQUEST,
                        "<" + action.name() + "/> belongs in the " + NS_OWNER + " namespace");
                default -> throw new StanzaException(StanzaError.FEATURE_NOT_IMPLEMENTED, "<" + action.name() + "/> of type " + iq.type().value() + " is not a request this service knows",
                        unsupported(action.name()));
            };
        }
    }

    // --- privileges ---------------------------------------------------------------------------------

    private static boolean isOwner(Svc svc, Node n, Jid who, PubSubHost host) {
        return host.isServiceOwner(svc.jid, who) || "owner".equals(n.affiliations.get(who.bare()));
    }

    private static String affiliation(Svc svc, Node n, Jid who, PubSubHost host) {
        if (host.isServiceOwner(svc.jid, who)) return "owner";
        return n.affiliations.getOrDefault(who.bare(), "none");
    }

    private static void requireOwner(Svc svc, Node n, Jid who, PubSubHost host) throws StanzaException {
        if (!isOwner(svc, n, who, host)) throw new StanzaException(StanzaError.FORBIDDEN, "Only an owner of '" + n.name + "' may do this");
    }

    /** Why {@code who} may not read a node's items or subscribe to it (§6.1.3, §6.5.9), or null when they may. */
    private StanzaException denied(Svc svc, Node n, Jid who, PubSubHost host) {
        return denied(svc, n, who, host, null);
    }

    /**
     * {@link #denied(Svc, Node, Jid, PubSubHost)} with the owners' rosters read once into
     * {@code rosterSnapshot} (when not null) for a notification that asks about many JIDs.
     */
    private StanzaException denied(Svc svc, Node n, Jid who, PubSubHost host, Map<Jid, Map<Jid, RosterItem>> rosterSnapshot) {
        String a = affiliation(svc, n, who, host);
        if (a.equals("outcast")) return new StanzaException(StanzaError.FORBIDDEN, "You are banned from '" + n.name + "'");
        if (!a.equals("none")) return null;
        Jid bare = who.bare();
        return switch (n.config.accessModel()) {
            case "open" -> null;
            case "presence" -> rosterItems(svc, n, bare, host, rosterSnapshot).stream().anyMatch(i -> i.subscription().from()) ? null
                    : error(StanzaError.NOT_AUTHORIZED, "Only contacts who receive the owner's presence may read '" + n.name + "'", "presence-subscription-required");
            case "roster" -> rosterItems(svc, n, bare, host, rosterSnapshot).stream().anyMatch(i -> i.groups().stream().anyMatch(n.config.rosterGroups()::contains)) ? null
                    : error(StanzaError.NOT_AUTHORIZED, "Only contacts in the owner's allowed roster groups may read '" + n.name + "'", "not-in-roster-group");
            case "authorize" -> n.subscriptions.values().stream().anyMatch(s -> s.jid.bare().equals(bare) && s.state.equals("subscribed")) ? null
                    : error(StanzaError.NOT_AUTHORIZED, "'" + n.name + "' is read by approved subscribers only", "not-subscribed");
            default -> error(StanzaError.NOT_ALLOWED, "'" + n.name + "' is read by its whitelist only", "closed-node");
        };
    }

    private List<RosterItem> rosterItems(Svc svc, Node n, Jid contact, PubSubHost host, Map<Jid, Map<Jid, RosterItem>> snapshot) {
        Rosters r = rosters;
        if (r == null) return List.of();
        List<RosterItem> out = new ArrayList<>();
        for (Jid owner : host.rosterOwners(svc.jid, Set.copyOf(n.with("owner")))) {
            if (owner.bare().equals(contact)) return List.of(new RosterItem(contact, null, RosterItem.Subscription.BOTH, false, false, n.config.rosterGroups()));
            if (snapshot == null) {
                r.item(owner.bare(), contact).ifPresent(out::add);
            } else {
                RosterItem i = snapshot.computeIfAbsent(owner.bare(), o -> {
                    Map<Jid, RosterItem> all = new java.util.HashMap<>();
                    for (RosterItem x : r.items(o)) all.put(x.jid(), x);
                    return all;
                }).get(contact);
                if (i != null) out.add(i);
            }
        }
        return out;
    }

    // --- create, configure, delete, purge -----------------------------------------------------------

    private Element create(Svc svc, Element create, Element configure, Jid requester, PubSubHost host) throws StanzaException {
        if (!host.mayCreate(svc.jid, requester)) throw new StanzaException(StanzaError.FORBIDDEN, requester.bare() + " may not create nodes on " + svc.jid);
        String name = create.attribute("node");
        boolean instant = name == null || name.isEmpty();
        if (instant) name = UUID.randomUUID().toString();
        if (svc.nodes.containsKey(name)) throw new StanzaException(StanzaError.CONFLICT, "The node '" + name + "' exists already");
        NodeConfig config = defaults(host, svc.jid, name);
        Element form = configure == null ? null : configure.child("x", DataForm.NS).orElse(null);
        if (form != null) config = config.apply(form, host.limits().maxItems(), host.limits().maxPayload());
        Node n = newNode(svc, name, config, requester, host);
        store.saveNode(svc.jid, name, n.toElement());
        svc.nodes.put(name, n);
        return instant ? Element.builder("pubsub", NS).child(Element.builder("create", NS).attribute("node", name).build()).build() : null;
    }

    private static Node newNode(Svc svc, String name, NodeConfig config, Jid requester, PubSubHost host) throws StanzaException {
        if (svc.nodes.size() >= host.limits().maxNodes()) {
            throw error(StanzaError.POLICY_VIOLATION, svc.jid + " has " + svc.nodes.size() + " nodes, the most this server allows", "max-nodes-exceeded");
        }
        Node n = new Node(name, config);
        n.affiliations.put(host.isServiceOwner(svc.jid, requester) && svc.jid.local() != null ? svc.jid.bare() : requester.bare(), "owner");
        return n;
    }

    private static Element configureForm(Svc svc, Element configure, Jid requester, PubSubHost host) throws StanzaException {
        Node n = node(svc, nodeName(configure));
        requireOwner(svc, n, requester, host);
        return Element.builder("pubsub", NS_OWNER).child(Element.builder("configure", NS_OWNER).attribute("node", n.name)
                .child(n.config.form("form", host.limits().maxItems())).build()).build();
    }

    private Element configure(Svc svc, Element configure, Jid requester, PubSubHost host) throws StanzaException {
        Node n = node(svc, nodeName(configure));
        requireOwner(svc, n, requester, host);
        Element form = configure.child("x", DataForm.NS).orElseThrow(() -> new StanzaException(StanzaError.BAD_REQUEST, "Send the configuration as a data form"));
        if ("cancel".equals(form.attribute("type"))) return null;
        if (!"submit".equals(form.attribute("type"))) throw new StanzaException(StanzaError.BAD_REQUEST, "A configuration form is of type submit or cancel");
        NodeConfig next = n.config.apply(form, host.limits().maxItems(), host.limits().maxPayload());
        reconfigure(svc, n, next, host);
        return null;
    }

    private void reconfigure(Svc svc, Node n, NodeConfig next, PubSubHost host) {
        n.config = next;
        store.saveNode(svc.jid, n.name, n.toElement());
        if (next.persistItems() && n.count > next.effectiveMaxItems(host.limits().maxItems())) {
            List<String> dropped = store.trim(svc.jid, n.name, next.effectiveMaxItems(host.limits().maxItems()));
            n.count -= dropped.size();
        }
        if (next.notifyConfig() && next.deliverNotifications()) {
            Element.Builder c = Element.builder("configuration", NS_EVENT).attribute("node", n.name);
            if (next.deliverPayloads()) c.child(next.form("result", host.limits().maxItems()));
            notify(svc, n, Element.builder("event", NS_EVENT).child(c.build()).build(), host, false);
        }
    }

    private Element delete(Svc svc, Element delete, Jid requester, PubSubHost host) throws StanzaException {
        Node n = node(svc, nodeName(delete));
        requireOwner(svc, n, requester, host);
        store.deleteNode(svc.jid, n.name);
        svc.nodes.remove(n.name);
        if (n.config.notifyDelete()) {
            Element.Builder d = Element.builder("delete", NS_EVENT).attribute("node", n.name);
            delete.child("redirect", NS_OWNER).map(r -> r.attribute("uri")).filter(u -> u != null && !u.isEmpty())
                    .ifPresent(u -> d.child(Element.builder("redirect", NS_EVENT).attribute("uri", u).build()));
            notify(svc, n, Element.builder("event", NS_EVENT).child(d.build()).build(), host, false);
        }
        return null;
    }

    private int purge(Svc svc, String name, Jid requester, PubSubHost host) throws StanzaException {
        Node n = node(svc, name);
        if (requester != null) requireOwner(svc, n, requester, host);
        if (!n.config.persistItems()) {
            throw new StanzaException(StanzaError.FEATURE_NOT_IMPLEMENTED, "'" + name + "' keeps no items to purge", unsupported("persistent-items"));
        }
        int purged = store.purge(svc.jid, n.name);
        n.count = 0;
        n.last = null;
        if (n.config.deliverNotifications()) {
            notify(svc, n, Element.builder("event", NS_EVENT).child(Element.builder("purge", NS_EVENT).attribute("node", n.name).build()).build(), host, false);
        }
        return purged;
    }

    // --- publish and retract ------------------------------------------------------------------------

    private Element publish(Svc svc, Element publish, Element publishOptions, Jid requester, PubSubHost host) throws StanzaException {
        String name = nodeName(publish);
        List<Element> items = publish.elements().filter(e -> e.is("item", NS)).toList();
        if (items.size() > 1) throw error(StanzaError.BAD_REQUEST, "Publish one item at a time", "invalid-payload");
        Map<String, List<String>> options = Map.of();
        if (publishOptions != null) {
            Element form = publishOptions.child("x", DataForm.NS).orElse(null);
            if (form != null) {
                String type = DataForm.value(form, "FORM_TYPE").orElse("");
                if (!type.equals(NodeConfig.PUBLISH_OPTIONS)) {
                    throw new StanzaException(StanzaError.BAD_REQUEST, "Publish options are a " + NodeConfig.PUBLISH_OPTIONS + " form, not '" + type + "'");
                }
                options = NodeConfig.fields(form);
            }
        }
        String id = publish(svc, name, items.isEmpty() ? null : items.getFirst(), options, requester, host);
        Element.Builder p = Element.builder("publish", NS).attribute("node", name);
        if (id != null) p.child(Element.builder("item", NS).attribute("id", id).build());
        return Element.builder("pubsub", NS).child(p.build()).build();
    }

    /** §7.1: checks, stores and notifies one publish; the item's id (assigned when it had none). */
    private String publish(Svc svc, String name, Element item, Map<String, List<String>> options, Jid requester, PubSubHost host) throws StanzaException {
        PubSubHost.Limits limits = host.limits();
        Node n = svc.nodes.get(name);
        boolean created = false;
        if (n == null) {
            if (!host.autoCreate()) throw noNode(name);
            if (!host.mayCreate(svc.jid, requester)) throw new StanzaException(StanzaError.FORBIDDEN, requester.bare() + " may not create nodes on " + svc.jid);
            NodeConfig config = defaults(host, svc.jid, name);
            if (!options.isEmpty()) {
                try {
                    config = config.with(options, limits.maxItems(), limits.maxPayload());
                } catch (StanzaException e) {
                    throw error(StanzaError.CONFLICT, "The publish options cannot configure a new node: " + e.getMessage(), "precondition-not-met");
                }
            }
            n = newNode(svc, name, config, requester, host);
            created = true;
        } else {
            String a = affiliation(svc, n, requester, host);
            boolean subscribed = n.subscriptions.values().stream().anyMatch(s -> s.jid.bare().equals(requester.bare()) && s.state.equals("subscribed"));
            boolean may = switch (n.config.publishModel()) {
                case "open" -> !a.equals("outcast");
                case "subscribers" -> Set.of("owner", "publisher", "publish-only").contains(a) || (subscribed && !a.equals("outcast"));
                default -> Set.of("owner", "publisher", "publish-only").contains(a);
            };
            if (!may) throw new StanzaException(StanzaError.FORBIDDEN, requester.bare() + " may not publish to '" + name + "'");
            if (!options.isEmpty()) {
                String unmet = n.config.unmet(options, limits.maxItems(), limits.maxPayload());
                if (unmet != null) {
                    throw error(StanzaError.CONFLICT, "The node's configuration does not match the publish option " + unmet, "precondition-not-met");
                }
            }
        }
        NodeConfig c = n.config;
        if (item == null) {
            if (c.persistItems() || c.deliverPayloads()) throw error(StanzaError.BAD_REQUEST, "'" + name + "' needs an item in each publish", "item-required");
        } else if (!c.persistItems() && !c.deliverPayloads()) {
            throw error(StanzaError.BAD_REQUEST, "'" + name + "' is a transient notification-only node: publish without an item", "item-forbidden");
        }
        Element payload = null;
        String id = null;
        if (item != null) {
            List<Element> children = item.elements().toList();
            if (children.size() > 1) throw error(StanzaError.BAD_REQUEST, "An item carries one payload element", "invalid-payload");
            payload = children.isEmpty() ? null : children.getFirst();
            if (payload == null && c.deliverPayloads()) throw error(StanzaError.BAD_REQUEST, "'" + name + "' delivers payloads: the item needs one", "payload-required");
            if (payload != null) {
                int limit = Math.min(c.maxPayloadSize(), limits.maxPayload());
                int size = NodeStore.bytes(payload);
                if (size > limit) {
                    throw error(StanzaError.NOT_ACCEPTABLE, "The payload is " + size + " bytes; '" + name + "' takes at most " + limit, "payload-too-big");
                }
                String refused = host.refuse(svc.jid, name, payload);
                if (refused != null) throw error(StanzaError.BAD_REQUEST, refused, "invalid-payload");
            }
            id = item.attribute("id");
            if (id == null || id.isEmpty()) id = UUID.randomUUID().toString();
        }
        Item stored = id == null ? null : new Item(id, requester.bare(), payload);
        if (stored != null && c.persistItems()) {
            int max = c.effectiveMaxItems(limits.maxItems());
            NodeStore.Put put = store.putItem(svc.jid, name, created ? n.toElement() : null, stored, n.seq + 1, n.count + 1 > max ? max : -1);
            n.seq++;
            if (!put.replaced()) n.count++;
            n.count -= put.dropped().size();
        } else if (created) {
            store.saveNode(svc.jid, name, n.toElement());
        }
        if (created) svc.nodes.put(name, n);
        if (stored != null) n.last = stored;
        if (c.deliverNotifications()) {
            Element.Builder i = Element.builder("item", NS_EVENT);
            if (id != null) i.attribute("id", id).attribute("publisher", requester.bare().toString());
            if (payload != null && c.deliverPayloads()) i.child(payload);
            Element.Builder items = Element.builder("items", NS_EVENT).attribute("node", name);
            if (id != null) items.child(i.build());
            notify(svc, n, Element.builder("event", NS_EVENT).child(items.build()).build(), host, true);
        }
        if (id != null) changed(svc, name, id, payload, false, requester);
        return id;
    }

    private Element retract(Svc svc, Element retract, Jid requester, PubSubHost host) throws StanzaException {
        Node n = node(svc, nodeName(retract));
        List<Element> items = retract.elements().filter(e -> e.is("item", NS)).toList();
        if (items.isEmpty() || items.getFirst().attribute("id") == null) throw error(StanzaError.BAD_REQUEST, "Name the item to retract", "item-required");
        String notify = retract.attribute("notify");
        for (Element i : items) retract(svc, n, i.attribute("id"), requester, "1".equals(notify) || "true".equals(notify), host);
        return null;
    }

    private void retract(Svc svc, Node n, String id, Jid requester, boolean notify, PubSubHost host) throws StanzaException {
        Optional<Item> item = held(svc, n, List.of(id)).stream().findFirst();
        if (item.isEmpty()) throw new StanzaException(StanzaError.ITEM_NOT_FOUND, "'" + n.name + "' has no item '" + id + "'");
        String a = affiliation(svc, n, requester, host);
        boolean own = item.get().publisher() != null && item.get().publisher().bare().equals(requester.bare());
        if (!a.equals("owner") && !a.equals("publisher") && !own) {
            throw new StanzaException(StanzaError.FORBIDDEN, "Only the item's publisher or an owner of '" + n.name + "' may retract it");
        }
        if (n.config.persistItems()) {
            store.deleteItem(svc.jid, n.name, id);
            n.count = Math.max(0, n.count - 1);
            if (n.last != null && n.last.id().equals(id)) n.last = store.newest(svc.jid, n.name).orElse(null);
        } else {
            n.last = null;
        }
        if (notify && n.config.notifyRetract() && n.config.deliverNotifications()) {
            notify(svc, n, Element.builder("event", NS_EVENT).child(Element.builder("items", NS_EVENT).attribute("node", n.name)
                    .child(Element.builder("retract", NS_EVENT).attribute("id", id).build()).build()).build(), host, true);
        }
        changed(svc, n.name, id, null, true, requester);
    }

    private void changed(Svc svc, String node, String id, Element payload, boolean retracted, Jid by) {
        for (PubSubListener l : listeners.all()) {
            try {
                l.changed(svc.jid, node, id, payload, retracted, by);
            } catch (RuntimeException e) {
                LOG.warn("{} failed on a change of {} on {}", l.getClass().getName(), node, svc.jid, e);
            }
        }
    }

    // --- subscriptions ------------------------------------------------------------------------------

    private static Jid subscriber(Element e) throws StanzaException {
        String jid = e.attribute("jid");
        if (jid == null || jid.isEmpty()) throw error(StanzaError.BAD_REQUEST, "Name the subscribing JID", "jid-required");
        return Jid.tryParse(jid).orElseThrow(() -> error(StanzaError.BAD_REQUEST, "'" + jid + "' is not a JID", "invalid-jid"));
    }

    private Element subscribe(Svc svc, Element subscribe, Element options, Jid requester, PubSubHost host) throws StanzaException {
        String name = nodeName(subscribe);
        Jid jid = subscriber(subscribe);
        if (!jid.bare().equals(requester.bare())) {
            throw error(StanzaError.BAD_REQUEST, "You may subscribe only your own JID, not " + jid, "invalid-jid");
        }
        Node n = node(svc, name);
        if (!n.config.subscribe() && !isOwner(svc, n, requester, host)) {
            throw new StanzaException(StanzaError.NOT_ALLOWED, "'" + name + "' takes no subscriptions", unsupported("subscribe"));
        }
        String a = affiliation(svc, n, requester, host);
        String state = "subscribed";
        if (a.equals("outcast")) throw new StanzaException(StanzaError.FORBIDDEN, "You are banned from '" + name + "'");
        if (n.config.accessModel().equals("authorize") && a.equals("none")) {
            state = "pending";
        } else {
            StanzaException no = denied(svc, n, requester, host);
            if (no != null) throw no;
        }
        Sub sub = n.subscriptions.get(jid);
        if (sub == null) {
            boolean deliver = true;
            Element form = options == null ? null : options.child("x", DataForm.NS).orElse(null);
            if (form != null) deliver = subscribeOptions(form, true);
            sub = new Sub(jid, newSubid(), state, deliver);
            n.subscriptions.put(jid, sub);
            store.saveNode(svc.jid, n.name, n.toElement());
            if (state.equals("pending")) askOwners(svc, n, sub);
        }
        Element reply = Element.builder("pubsub", NS).child(subscription(NS, n.name, sub)).build();
        if (sub.state.equals("subscribed") && !n.config.sendLast().equals("never") && n.last != null && n.config.deliverNotifications()) {
            send(svc, n, lastEvent(n), sub.jid);
        }
        return reply;
    }

    private static Element subscription(String ns, String node, Sub s) {
        Element.Builder b = Element.builder("subscription", ns);
        if (node != null) b.attribute("node", node);
        return b.attribute("jid", s.jid.toString()).attribute("subid", s.subid).attribute("subscription", s.state).build();
    }

    /** §8.6: each owner gets a form to approve or deny a subscription to an authorize-model node. */
    private void askOwners(Svc svc, Node n, Sub sub) {
        Element form = DataForm.form("form", SUBSCRIBE_AUTHORIZATION, "PubSub subscriber request")
                .child(DataForm.field("pubsub#subid", "hidden", null, false, List.of(sub.subid)))
                .child(DataForm.field("pubsub#node", "text-single", "Node ID", false, List.of(n.name)))
                .child(DataForm.field("pubsub#subscriber_jid", "jid-single", "Subscriber Address", false, List.of(sub.jid.toString())))
                .child(DataForm.field("pubsub#allow", "boolean", "Allow this JID to subscribe to this pubsub node?", false, List.of("false"))).build();
        for (Jid owner : n.with("owner")) {
            router.deliver(Element.builder("message", "jabber:client").attribute("from", svc.jid.toString()).attribute("to", owner.toString())
                    .attribute("id", nextId()).child(form).build(), origin(svc));
        }
    }

    @Override
    public boolean message(Jid service, Element message, Jid from) throws StanzaException {
        Element form = message.child("x", DataForm.NS).orElse(null);
        if (form == null || !"submit".equals(form.attribute("type"))
                || !DataForm.value(form, "FORM_TYPE").orElse("").equals(SUBSCRIBE_AUTHORIZATION)) {
            return false;
        }
        PubSubHost host = host(service);
        Svc svc = svc(service, host);
        synchronized (svc) {
            Node n = node(svc, DataForm.value(form, "pubsub#node").orElse(""));
            requireOwner(svc, n, from, host);
            Jid jid = Jid.tryParse(DataForm.value(form, "pubsub#subscriber_jid").orElse(""))
                    .orElseThrow(() -> error(StanzaError.BAD_REQUEST, "The form names no subscriber", "invalid-jid"));
            Sub sub = n.subscriptions.get(jid);
            if (sub == null || !sub.state.equals("pending")) return true;
            boolean allow = DataForm.value(form, "pubsub#allow").map(v -> v.equals("1") || v.equals("true")).orElse(false);
            changeSubscription(svc, n, sub, allow ? "subscribed" : "none", host);
            return true;
        }
    }

    private void changeSubscription(Svc svc, Node n, Sub sub, String state, PubSubHost host) {
        Sub next = sub.with(state);
        if (state.equals("none")) n.subscriptions.remove(sub.jid);
        else n.subscriptions.put(sub.jid, next);
        store.saveNode(svc.jid, n.name, n.toElement());
        // §8.8.4: the entity hears of what an owner did to its subscription
        router.deliver(Element.builder("message", "jabber:client").attribute("from", svc.jid.toString()).attribute("to", sub.jid.toString())
                .attribute("id", nextId()).child(Element.builder("pubsub", NS).child(subscription(NS, n.name, next)).build()).build(), origin(svc));
        if (state.equals("subscribed") && !n.config.sendLast().equals("never") && n.last != null && n.config.deliverNotifications()) {
            send(svc, n, lastEvent(n), sub.jid);
        }
    }

    private Element unsubscribe(Svc svc, Element unsubscribe, Jid requester, PubSubHost host) throws StanzaException {
        String name = nodeName(unsubscribe);
        Jid jid = subscriber(unsubscribe);
        Node n = node(svc, name);
        if (!jid.bare().equals(requester.bare()) && !isOwner(svc, n, requester, host)) {
            throw new StanzaException(StanzaError.FORBIDDEN, requester.bare() + " may not unsubscribe " + jid);
        }
        Sub sub = n.subscriptions.get(jid);
        if (sub == null) throw error(StanzaError.UNEXPECTED_REQUEST, jid + " is not subscribed to '" + name + "'", "not-subscribed");
        String subid = unsubscribe.attribute("subid");
        if (subid != null && !subid.equals(sub.subid)) throw error(StanzaError.NOT_ACCEPTABLE, "No subscription '" + subid + "' of " + jid, "invalid-subid");
        n.subscriptions.remove(jid);
        store.saveNode(svc.jid, n.name, n.toElement());
        return null;
    }

    private static Element subscribeOptionsForm(boolean deliver) {
        return DataForm.form("form", SUBSCRIBE_OPTIONS, null)
                .child(DataForm.field("pubsub#deliver", "boolean", "Enable delivery?", false, List.of(deliver ? "1" : "0")))
                .child(DataForm.field("pubsub#digest", "boolean", "Receive digest notifications (approx. one per day)?", false, List.of("0")))
                .child(DataForm.field("pubsub#include_body", "boolean", "Receive message body in addition to payload?", false, List.of("0"))).build();
    }

    /** The delivery flag of a submitted subscription options form; {@code bad-request} + invalid-options for anything else. */
    private static boolean subscribeOptions(Element form, boolean deliver) throws StanzaException {
        for (Map.Entry<String, List<String>> f : NodeConfig.fields(form).entrySet()) {
            String v = f.getValue().isEmpty() ? "" : f.getValue().getFirst();
            boolean on = v.equals("1") || v.equals("true");
            if (!on && !v.equals("0") && !v.equals("false")) throw error(StanzaError.BAD_REQUEST, f.getKey() + " must be true or false", "invalid-options");
            switch (f.getKey()) {
                case "pubsub#deliver" -> deliver = on;
                case "pubsub#digest", "pubsub#include_body" -> {
                    if (on) throw new StanzaException(StanzaError.FEATURE_NOT_IMPLEMENTED, f.getKey() + " is not offered here", unsupported("subscription-options"));
                }
                default -> throw error(StanzaError.BAD_REQUEST, "Unknown subscription option " + f.getKey(), "invalid-options");
            }
        }
        return deliver;
    }

    private Sub ownSubscription(Node n, Element e, Jid requester) throws StanzaException {
        Jid jid = subscriber(e);
        if (!jid.bare().equals(requester.bare())) throw new StanzaException(StanzaError.FORBIDDEN, "You may see only your own subscription options");
        Sub sub = n.subscriptions.get(jid);
        if (sub == null) throw error(StanzaError.UNEXPECTED_REQUEST, jid + " is not subscribed to '" + n.name + "'", "not-subscribed");
        String subid = e.attribute("subid");
        if (subid != null && !subid.equals(sub.subid)) throw error(StanzaError.NOT_ACCEPTABLE, "No subscription '" + subid + "' of " + jid, "invalid-subid");
        return sub;
    }

    private Element subscriptionOptions(Svc svc, Element options, Jid requester) throws StanzaException {
        Node n = node(svc, nodeName(options));
        Sub sub = ownSubscription(n, options, requester);
        return Element.builder("pubsub", NS).child(Element.builder("options", NS).attribute("node", n.name).attribute("jid", sub.jid.toString())
                .attribute("subid", sub.subid).child(subscribeOptionsForm(sub.deliver)).build()).build();
    }

    private Element setSubscriptionOptions(Svc svc, Element options, Jid requester, PubSubHost host) throws StanzaException {
        Node n = node(svc, nodeName(options));
        Sub sub = ownSubscription(n, options, requester);
        Element form = options.child("x", DataForm.NS).orElseThrow(() -> error(StanzaError.BAD_REQUEST, "Send the options as a data form", "invalid-options"));
        boolean deliver = subscribeOptions(form, sub.deliver);
        n.subscriptions.put(sub.jid, new Sub(sub.jid, sub.subid, sub.state, deliver));
        store.saveNode(svc.jid, n.name, n.toElement());
        return null;
    }

    private static Element subscriptions(Svc svc, Element request, Jid requester) {
        String only = request.attribute("node");
        Element.Builder subs = Element.builder("subscriptions", NS);
        if (only != null) subs.attribute("node", only);
        for (Node n : svc.nodes.values()) {
            if (only != null && !only.equals(n.name)) continue;
            for (Sub s : n.subscriptions.values()) if (s.jid.bare().equals(requester.bare())) subs.child(subscription(NS, n.name, s));
        }
        return Element.builder("pubsub", NS).child(subs.build()).build();
    }

    private static Element affiliations(Svc svc, Element request, Jid requester) {
        String only = request.attribute("node");
        Element.Builder affs = Element.builder("affiliations", NS);
        if (only != null) affs.attribute("node", only);
        for (Node n : svc.nodes.values()) {
            if (only != null && !only.equals(n.name)) continue;
            String a = n.affiliations.get(requester.bare());
            if (a != null) affs.child(Element.builder("affiliation", NS).attribute("node", n.name).attribute("affiliation", a).build());
        }
        return Element.builder("pubsub", NS).child(affs.build()).build();
    }

    private static Element ownerSubscriptions(Svc svc, Element request, Jid requester, PubSubHost host) throws StanzaException {
        Node n = node(svc, nodeName(request));
        requireOwner(svc, n, requester, host);
        Element.Builder subs = Element.builder("subscriptions", NS_OWNER).attribute("node", n.name);
        for (Sub s : n.subscriptions.values()) subs.child(subscription(NS_OWNER, null, s));
        return Element.builder("pubsub", NS_OWNER).child(subs.build()).build();
    }

    private Element setSubscriptions(Svc svc, Element request, Jid requester, PubSubHost host) throws StanzaException {
        Node n = node(svc, nodeName(request));
        requireOwner(svc, n, requester, host);
        List<Element> changes = request.elements().filter(e -> e.is("subscription", NS_OWNER)).toList();
        for (Element c : changes) { // all checked before any is made
            subscriber(c);
            String s = c.attribute("subscription");
            if (!Set.of("none", "pending", "subscribed", "unconfigured").contains(s == null ? "" : s)) {
                throw new StanzaException(StanzaError.BAD_REQUEST, "A subscription is none, pending, unconfigured or subscribed, not '" + s + "'");
            }
        }
        for (Element c : changes) {
            Jid jid = subscriber(c);
            String state = c.attribute("subscription");
            Sub sub = n.subscriptions.get(jid);
            if (sub == null) {
                if (state.equals("none")) continue;
                sub = new Sub(jid, newSubid(), "none", true);
            }
            if (!sub.state.equals(state)) changeSubscription(svc, n, sub, state, host);
        }
        return null;
    }

    private static Element ownerAffiliations(Svc svc, Element request, Jid requester, PubSubHost host) throws StanzaException {
        Node n = node(svc, nodeName(request));
        requireOwner(svc, n, requester, host);
        Element.Builder affs = Element.builder("affiliations", NS_OWNER).attribute("node", n.name);
        n.affiliations.forEach((j, a) -> affs.child(Element.builder("affiliation", NS_OWNER).attribute("jid", j.toString()).attribute("affiliation", a).build()));
        return Element.builder("pubsub", NS_OWNER).child(affs.build()).build();
    }

    private Element setAffiliations(Svc svc, Element request, Jid requester, PubSubHost host) throws StanzaException {
        Node n = node(svc, nodeName(request));
        requireOwner(svc, n, requester, host);
        Map<Jid, String> next = new LinkedHashMap<>(n.affiliations);
        for (Element c : request.elements().filter(e -> e.is("affiliation", NS_OWNER)).toList()) {
            Jid jid = subscriber(c).bare();
            String a = c.attribute("affiliation");
            if (a == null || !AFFILIATIONS.contains(a)) throw new StanzaException(StanzaError.BAD_REQUEST, "Unknown affiliation '" + a + "'");
            if (a.equals("none")) next.remove(jid);
            else next.put(jid, a);
        }
        if (next.values().stream().noneMatch("owner"::equals) && svc.jid.local() == null) {
            throw new StanzaException(StanzaError.NOT_ACCEPTABLE, "'" + n.name + "' must keep an owner");
        }
        n.affiliations.clear();
        n.affiliations.putAll(next);
        n.subscriptions.values().removeIf(s -> "outcast".equals(next.get(s.jid.bare())));
        store.saveNode(svc.jid, n.name, n.toElement());
        return null;
    }

    // --- items --------------------------------------------------------------------------------------

    private Element items(Svc svc, Element request, Element rsm, Jid requester, PubSubHost host) throws StanzaException {
        Node n = node(svc, nodeName(request));
        StanzaException no = denied(svc, n, requester, host);
        if (no != null) throw no;
        List<String> ids = request.elements().filter(e -> e.is("item", NS)).map(e -> e.attribute("id")).filter(i -> i != null).toList();
        List<Item> all = held(svc, n, ids.isEmpty() ? null : ids);
        String max = request.attribute("max_items");
        if (max != null) {
            int m;
            try {
                m = Integer.parseInt(max);
            } catch (NumberFormatException e) {
                throw new StanzaException(StanzaError.BAD_REQUEST, "max_items must be a number, not '" + max + "'");
            }
            if (m < 0) throw new StanzaException(StanzaError.BAD_REQUEST, "max_items cannot be negative");
            if (all.size() > m) all = all.subList(all.size() - m, all.size());
        }
        Element page = null;
        if (rsm != null) {
            int count = all.size();
            String after = rsm.child("after", MamQuery.RSM).map(Element::text).orElse(null);
            Optional<Element> before = rsm.child("before", MamQuery.RSM);
            int from = 0;
            int to = all.size();
            if (after != null) from = indexOf(all, after) + 1;
            if (before.isPresent() && !before.get().text().isEmpty()) to = indexOf(all, before.get().text());
            if (from < 0 || to < 0) throw new StanzaException(StanzaError.ITEM_NOT_FOUND, "No such item in the page request");
            int limit = rsm.child("max", MamQuery.RSM).map(e -> {
                try {
                    return Integer.parseInt(e.text().strip());
                } catch (NumberFormatException x) {
                    return -1;
                }
            }).orElse(Integer.MAX_VALUE);
            if (limit < 0) throw new StanzaException(StanzaError.BAD_REQUEST, "An RSM <max/> is a number of 0 or more");
            if (to - from > limit) {
                if (before.isPresent()) from = to - limit;
                else to = from + limit;
            }
            from = Math.min(from, to);
            all = all.subList(from, to);
            Element.Builder set = Element.builder("set", MamQuery.RSM);
            if (!all.isEmpty()) {
                set.child(Element.builder("first", MamQuery.RSM).attribute("index", Integer.toString(from)).text(all.getFirst().id()).build());
                set.child(Element.builder("last", MamQuery.RSM).text(all.getLast().id()).build());
            }
            set.child(Element.builder("count", MamQuery.RSM).text(Integer.toString(count)).build());
            page = set.build();
        }
        Element.Builder items = Element.builder("items", NS).attribute("node", n.name);
        for (Item i : all) items.child(item(NS, i, true));
        Element.Builder pubsub = Element.builder("pubsub", NS).child(items.build());
        if (page != null) pubsub.child(page);
        return pubsub.build();
    }

    private static int indexOf(List<Item> items, String id) {
        for (int i = 0; i < items.size(); i++) if (items.get(i).id().equals(id)) return i;
        return -2;
    }

    /**
     * The items a node holds, oldest first: all of them ({@code ids} null) or those of the given ids;
     * a node that keeps none (persist_items false) holds its last one, in memory.
     */
    private List<Item> held(Svc svc, Node n, List<String> ids) {
        if (n.config.persistItems()) return store.items(svc.jid, n.name, ids);
        return n.last == null || (ids != null && !ids.contains(n.last.id())) ? List.of() : List.of(n.last);
    }

    /** Whether {@code who} may see that the node exists (disco): readers and owners; for others it does not. */
    private boolean visible(Svc svc, Node n, Jid who, PubSubHost host) {
        return denied(svc, n, who, host) == null || isOwner(svc, n, who, host);
    }

    private String newSubid() {
        return Long.toHexString(ThreadLocalRandom.current().nextLong()) + Long.toHexString(ids.incrementAndGet());
    }

    private static Element item(String ns, Item i, boolean payload) {
        Element.Builder b = Element.builder("item", ns).attribute("id", i.id());
        if (i.publisher() != null) b.attribute("publisher", i.publisher().toString());
        if (payload && i.payload() != null) b.child(i.payload());
        return b.build();
    }

    // --- notifications ------------------------------------------------------------------------------

    private static Element lastEvent(Node n) {
        return Element.builder("event", NS_EVENT).child(Element.builder("items", NS_EVENT).attribute("node", n.name)
                .child(item(NS_EVENT, n.last, n.config.deliverPayloads())).build()).build();
    }

    /**
     * Sends an event to the node's subscribers and, for item events, whoever else the host says is
     * interested and may read the node. Each JID gets it once; a bare JID subscribed covers its resources.
     */
    private void notify(Svc svc, Node n, Element event, PubSubHost host, boolean items) {
        Set<Jid> to = new LinkedHashSet<>();
        for (Sub s : n.subscriptions.values()) if (s.deliver && s.state.equals("subscribed")) to.add(s.jid);
        if (items) {
            Map<Jid, Map<Jid, RosterItem>> snapshot = new java.util.HashMap<>();
            Predicate<Jid> mayRead = j -> denied(svc, n, j, host, snapshot) == null;
            Collection<Jid> more;
            try {
                more = host.interested(svc.jid, n.name, mayRead, known -> {
                    synchronized (svc) {
                        for (Jid j : known) if (denied(svc, n, j, host) == null) send(svc, n, event, j);
                    }
                });
            } catch (RuntimeException e) {
                LOG.warn("A pubsub host failed to list who hears of {} on {}", n.name, svc.jid, e);
                more = List.of();
            }
            Set<Jid> bares = new HashSet<>();
            for (Jid j : to) if (j.isBare()) bares.add(j);
            for (Jid j : more) if (!bares.contains(j.bare())) to.add(j);
        }
        for (Jid j : to) send(svc, n, event, j);
    }

    private void send(Svc svc, Node n, Element event, Jid to) {
        router.deliver(Element.builder("message", "jabber:client").attribute("from", svc.jid.toString()).attribute("to", to.toString())
                .attribute("type", n.config.notificationType()).attribute("id", nextId()).child(event).build(), origin(svc));
    }

    private String nextId() {
        return "ps" + Long.toString(ids.incrementAndGet(), 36);
    }

    private static Origin origin(Svc svc) {
        return Origin.of(svc.jid, bounce -> { });
    }

    // --- for other modules --------------------------------------------------------------------------

    @Override
    public Element nodeInfo(Jid service, String node, Jid requester) throws StanzaException {
        PubSubHost host = host(service);
        Svc svc = svc(service, host);
        synchronized (svc) {
            Node n = node(svc, node);
            if (!visible(svc, n, requester, host)) throw noNode(node);
            List<String> publishers = n.with("publisher").stream().map(Jid::toString).toList();
            return Element.builder("query", "http://jabber.org/protocol/disco#info").attribute("node", node)
                    .child(Element.builder("identity", "http://jabber.org/protocol/disco#info").attribute("category", "pubsub").attribute("type", "leaf").build())
                    .child(Element.builder("feature", "http://jabber.org/protocol/disco#info").attribute("var", NS).build())
                    .child(n.config.metaData(n.with("owner").stream().map(Jid::toString).toList(), publishers, n.count)).build();
        }
    }

    @Override
    public List<Element> discoItems(Jid service, String node, Jid requester) throws StanzaException {
        PubSubHost host = host(service);
        Svc svc = svc(service, host);
        String ns = "http://jabber.org/protocol/disco#items";
        synchronized (svc) {
            List<Element> out = new ArrayList<>();
            if (node == null) {
                for (Node n : svc.nodes.values()) {
                    if (!visible(svc, n, requester, host)) continue;
                    Element.Builder i = Element.builder("item", ns).attribute("jid", service.toString()).attribute("node", n.name);
                    if (n.config.title() != null) i.attribute("name", n.config.title());
                    out.add(i.build());
                }
                return out;
            }
            Node n = node(svc, node);
            if (!visible(svc, n, requester, host)) throw noNode(node);
            for (Item i : held(svc, n, null)) out.add(Element.builder("item", ns).attribute("jid", service.toString()).attribute("name", i.id()).build());
            return out;
        }
    }

    @Override
    public List<Notification> lastItems(Jid service, Jid requester) {
        PubSubHost host = hostOrNull(service);
        if (host == null) return List.of();
        Svc svc = svc(service, host);
        synchronized (svc) {
            List<Notification> out = new ArrayList<>();
            for (Node n : svc.nodes.values()) {
                if (n.last == null || !n.config.sendLast().equals("on_sub_and_presence") || !n.config.deliverNotifications()) continue;
                if (denied(svc, n, requester, host) != null) continue;
                out.add(new Notification(n.name, lastEvent(n)));
            }
            return out;
        }
    }

    @Override
    public void publish(Jid service, String node, String itemId, Element payload, Jid publisher, Map<String, String> newNode) throws StanzaException {
        PubSubHost host = host(service);
        Svc svc = svc(service, host);
        synchronized (svc) {
            Element.Builder item = Element.builder("item", NS);
            if (itemId != null) item.attribute("id", itemId);
            if (payload != null) item.child(payload);
            Map<String, List<String>> options = new LinkedHashMap<>();
            if (!svc.nodes.containsKey(node)) newNode.forEach((k, v) -> options.put(k, List.of(v)));
            publish(svc, node, item.build(), options, publisher, host);
        }
    }

    @Override
    public boolean retract(Jid service, String node, String itemId) throws StanzaException {
        PubSubHost host = host(service);
        Svc svc = svc(service, host);
        synchronized (svc) {
            Node n = svc.nodes.get(node);
            if (n == null) return false;
            try {
                retract(svc, n, itemId, service, true, host);
                return true;
            } catch (StanzaException e) {
                if (e.error() == StanzaError.ITEM_NOT_FOUND) return false;
                throw e;
            }
        }
    }

    @Override
    public Optional<Item> item(Jid service, String node, String itemId) {
        return held(service, node, List.of(itemId)).stream().findFirst();
    }

    @Override
    public List<Item> items(Jid service, String node) {
        return held(service, node, null);
    }

    private List<Item> held(Jid service, String node, List<String> ids) {
        PubSubHost host = hostOrNull(service);
        if (host == null) return List.of();
        Svc svc = svc(service, host);
        synchronized (svc) {
            Node n = svc.nodes.get(node);
            return n == null ? List.of() : held(svc, n, ids);
        }
    }

    @Override
    public List<NodeSummary> nodes(Jid service) {
        PubSubHost host = hostOrNull(service);
        if (host == null) return List.of();
        Svc svc = svc(service, host);
        synchronized (svc) {
            return svc.nodes.values().stream()
                    .map(n -> new NodeSummary(n.name, n.config.accessModel(), n.count, n.subscriptions.size(), n.with("owner"))).toList();
        }
    }

    @Override
    public int purge(Jid service, String node) throws StanzaException {
        PubSubHost host = host(service);
        Svc svc = svc(service, host);
        synchronized (svc) {
            return purge(svc, node, null, host);
        }
    }

    @Override
    public void deleteService(Jid service) {
        Svc svc = services.remove(service);
        if (svc != null) {
            synchronized (svc) {
                svc.nodes.clear();
            }
        }
        store.deleteService(service);
    }

    @Override
    public void forget(Jid jid) {
        Jid bare = jid.bare();
        for (Jid service : store.servicesMentioning(bare)) {
            if (service.equals(bare)) continue;
            PubSubHost host;
            try {
                host = host(service);
            } catch (StanzaException e) {
                continue; // its module is not loaded: it forgets when it next reads the node
            }
            Svc svc = svc(service, host);
            synchronized (svc) {
                for (Node n : svc.nodes.values()) {
                    boolean changed = n.subscriptions.keySet().removeIf(j -> j.bare().equals(bare));
                    changed |= n.affiliations.remove(bare) != null;
                    if (changed) store.saveNode(service, n.name, n.toElement());
                }
            }
        }
    }

    /** Drops what is cached of a service (the next request reads it again). */
    void evict(Jid service) {
        services.remove(service);
    }
}
