package dev.strata.xep0060;

import java.util.List;
import java.util.Map;
import java.util.Set;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.Jid;
import dev.strata.api.server.ServerInfo;
import dev.strata.api.stanza.DomainService;
import dev.strata.api.stanza.Iq;
import dev.strata.api.stanza.Origin;
import dev.strata.api.stanza.Router;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.xml.Element;
import dev.strata.pubsub.PubSubEngine;
import dev.strata.pubsub.PubSubHost;

/**
 * XEP-0060 on {@code pubsub.<domain>} for every domain the server hosts (the label is
 * {@code strata.xep0060 host}): a {@link DomainService} for the stanzas and a {@link PubSubHost}
 * for the policy (who creates nodes, the defaults, the limits). Nodes live in the
 * {@link PubSubEngine}'s tables, so reloading this module keeps every node and item.
 */
@Component(name = "strata.xep0060", service = PubSubHost.class, immediate = true)
@Designate(ocd = PubSubService.Config.class)
public final class PubSubService implements PubSubHost {
    private static final Logger LOG = LoggerFactory.getLogger(PubSubService.class);
    private static final String DISCO_INFO = "http://jabber.org/protocol/disco#info";
    private static final String DISCO_ITEMS = "http://jabber.org/protocol/disco#items";
    private static final String PING = "urn:xmpp:ping";

    @ObjectClassDefinition(id = "strata.xep0060", name = "XEP-0060 Publish-Subscribe service")
    @interface Config {
        @AttributeDefinition(description = "The service's domain is this label, a dot and each domain the server hosts (pubsub.example.org)")
        String host() default "pubsub";

        @AttributeDefinition(description = "The service's name in service discovery")
        String name() default "Publish-Subscribe";

        @AttributeDefinition(description = "Who may create nodes", options = {
            @Option(value = "anyone", label = "anyone, local or remote"),
            @Option(value = "local", label = "accounts of this server"),
            @Option(value = "admins", label = "the server's administrators")})
        String create() default "local";

        @AttributeDefinition(min = "1", max = "10000000", description = "Most nodes on one service domain")
        int max_nodes() default 100000;

        @AttributeDefinition(min = "1", max = "100000", description = "Most items one node keeps (a node's max_items of 'max' means this)")
        int max_items() default 1000;

        @AttributeDefinition(min = "1", max = "4000000", description = "Most bytes of one item's payload; past it, not-acceptable with payload-too-big")
        int max_payload_size() default 262144;

        @AttributeDefinition(min = "1", max = "100000", description = "The max_items of a new node that does not set one")
        int default_max_items() default 10;

        @AttributeDefinition(description = "The access model of a new node that does not set one", options = {
            @Option(value = "open", label = "open"), @Option(value = "presence", label = "presence"), @Option(value = "roster", label = "roster"),
            @Option(value = "whitelist", label = "whitelist"), @Option(value = "authorize", label = "authorize")})
        String default_access_model() default "open";
    }

    private final PubSubEngine engine;
    private final Router router;
    private final ServerInfo server;
    private final BundleContext context;
    private volatile Config config;
    private volatile List<String> domains;
    private DomainService.Registration registration;

    @Activate
    public PubSubService(BundleContext context, Config config, @Reference PubSubEngine engine, @Reference Router router, @Reference ServerInfo server) {
        this.context = context;
        this.engine = engine;
        this.router = router;
        this.server = server;
        this.config = config;
        this.domains = domains(config);
        register();
    }

    @Modified
    void modified(Config c) {
        config = c;
        List<String> next = domains(c);
        if (!next.equals(domains)) {
            unregister();
            domains = next;
            register();
        }
    }

    @Deactivate
    void deactivate() {
        unregister();
    }

    private List<String> domains(Config c) {
        return server.domains().stream().map(d -> c.host() + "." + d).toList();
    }

    private void register() {
        registration = DomainService.register(context, domains, config.name(), this::handle);
        LOG.info("Publish-subscribe on {}", domains);
    }

    private void unregister() {
        if (registration == null) return;
        registration.close();
        registration = null;
    }

    // --- PubSubHost ---------------------------------------------------------------------------------

    @Override
    public boolean serves(Jid service) {
        return service.local() == null && service.resource() == null && domains.contains(service.domain());
    }

    @Override
    public boolean mayCreate(Jid service, Jid requester) {
        return switch (config.create()) {
            case "anyone" -> true;
            case "admins" -> server.isAdmin(requester);
            default -> server.hosts(requester.domain());
        };
    }

    @Override
    public Set<Jid> rosterOwners(Jid service, Set<Jid> owners) {
        return owners;
    }

    @Override
    public boolean isServiceOwner(Jid service, Jid requester) {
        return server.isAdmin(requester);
    }

    @Override
    public boolean autoCreate() {
        return false;
    }

    @Override
    public Map<String, String> defaults(Jid service, String node) {
        Config c = config;
        return Map.of("pubsub#max_items", Integer.toString(Math.min(c.default_max_items(), c.max_items())), "pubsub#access_model", c.default_access_model());
    }

    @Override
    public Limits limits() {
        Config c = config;
        return new Limits(c.max_nodes(), c.max_items(), c.max_payload_size());
    }

    // --- stanzas ------------------------------------------------------------------------------------

    void handle(Element stanza, Origin from) {
        Jid to = Jid.of(stanza.attribute("to"));
        String type = stanza.attribute("type");
        if ("error".equals(type) || "result".equals(type)) return;
        try {
            if (to.local() != null || to.resource() != null) throw new StanzaException(StanzaError.ITEM_NOT_FOUND, "Nodes of " + to.domain() + " have no JIDs of their own");
            switch (stanza.name()) {
                case "iq" -> iq(Iq.of(stanza, from.jid(), to), from);
                case "message" -> {
                    if (!engine.message(to, stanza, from.jid())) {
                        throw new StanzaException(StanzaError.SERVICE_UNAVAILABLE, to + " is a publish-subscribe service; it takes no messages");
                    }
                }
                default -> { } // presence to the service: nothing to do
            }
        } catch (StanzaException e) {
            boolean echo = stanza.name().equals("iq") && e.echoPayload();
            from.send(e.error().replyTo(stanza, e.getMessage(), echo, e.specific()));
        }
    }

    private void iq(Iq iq, Origin from) throws StanzaException {
        Jid service = iq.to();
        String node = iq.payload().attribute("node");
        Element reply;
        boolean get = iq.type() == Iq.Type.GET;
        if (get && iq.namespace().equals(DISCO_INFO)) {
            reply = node == null ? info() : engine.nodeInfo(service, node, iq.from());
        } else if (get && iq.namespace().equals(DISCO_ITEMS)) {
            Element.Builder q = Element.builder("query", DISCO_ITEMS);
            if (node != null) q.attribute("node", node);
            reply = q.children(engine.discoItems(service, node, iq.from())).build();
        } else if (iq.namespace().equals(PubSubEngine.NS) || iq.namespace().equals(PubSubEngine.NS_OWNER)) {
            reply = engine.handle(iq, service, iq.from());
        } else if (get && iq.namespace().equals(PING)) {
            reply = null;
        } else {
            throw new StanzaException(StanzaError.SERVICE_UNAVAILABLE, service + " does not answer " + iq.namespace() + " " + iq.type().value());
        }
        router.deliver(iq.result(reply), Origin.of(service, x -> { }));
    }

    private Element info() {
        Element.Builder q = Element.builder("query", DISCO_INFO)
                .child(Element.builder("identity", DISCO_INFO).attribute("category", "pubsub").attribute("type", "service").attribute("name", config.name()).build());
        for (String f : List.of(DISCO_INFO, DISCO_ITEMS, PING)) q.child(Element.builder("feature", DISCO_INFO).attribute("var", f).build());
        for (String f : PubSubEngine.FEATURES) q.child(Element.builder("feature", DISCO_INFO).attribute("var", f).build());
        return q.build();
    }
}
