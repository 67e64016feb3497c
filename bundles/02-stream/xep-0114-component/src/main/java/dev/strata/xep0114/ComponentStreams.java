package dev.strata.xep0114;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.Jid;
import dev.strata.api.server.ServerInfo;
import dev.strata.api.stanza.DomainService;
import dev.strata.api.stanza.Origin;
import dev.strata.api.stanza.Router;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StreamError;
import dev.strata.api.transport.Connection;
import dev.strata.api.transport.StreamHandler;
import dev.strata.api.transport.StreamHandlerFactory;
import dev.strata.api.xml.Element;

/**
 * XEP-0114 external components: the stream layer of the listeners of kind {@code component}
 * (5347 on loopback by default). The components are configured in PID {@code strata.xep0114},
 * {@code components = <domain>=<secret>, ...}, and apply live. A configured component's domain is a
 * {@link DomainService} from the start (listed in the server's disco#items): while the component
 * is connected, every stanza to that domain or a JID under it goes to it; while it is not, a
 * message or IQ gets {@code service-unavailable} and anything else is dropped. A second connection
 * for a domain already connected is refused with {@code conflict}.
 */
@dev.strata.api.console.ConsoleCommand(scope = "component", function = {"list"})
@Component(service = StreamHandlerFactory.class, property = StreamHandlerFactory.LISTENER + "=component", configurationPid = "strata.xep0114",
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = ComponentStreams.Config.class)
public final class ComponentStreams implements StreamHandlerFactory {
    private static final Logger LOG = LoggerFactory.getLogger(ComponentStreams.class);

    @ObjectClassDefinition(id = "strata.xep0114", name = "External components (XEP-0114)")
    public @interface Config {
        @AttributeDefinition(description = "The components, each as its domain=its secret (gateway.example.org=a-long-random-secret; "
                + "a secret may not hold a comma); ${env:NAME} reads a secret from the environment")
        String[] components() default {};
    }

    /** Registers a component's domain with the router (the OSGi registry; a test's own in unit tests). */
    private final java.util.function.BiFunction<String, DomainService, DomainService.Registration> register;
    private final Router router;
    private final ServerInfo server;
    /** Domain to secret, as configured. */
    private volatile Map<String, String> secrets = Map.of();
    private final Map<String, DomainService.Registration> registrations = new LinkedHashMap<>();
    /** Domain to its connected stream. */
    private final Map<String, ComponentStream> connected = new ConcurrentHashMap<>();

    @Activate
    public ComponentStreams(BundleContext context, @Reference Router router, @Reference ServerInfo server, Config config) {
        this((domain, service) -> DomainService.register(context, List.of(domain), domain, service), router, server, config);
    }

    ComponentStreams(java.util.function.BiFunction<String, DomainService, DomainService.Registration> register, Router router, ServerInfo server,
                     Config config) {
        this.register = register;
        this.router = router;
        this.server = server;
        modified(config);
    }

    /** {@code component:list}: each configured component, connected (from where, since when, stanzas each way) or not. */
    @org.apache.felix.service.command.Descriptor("List the configured external components (XEP-0114) and their connections")
    public String list() {
        StringBuilder sb = new StringBuilder();
        for (String d : secrets.keySet()) {
            ComponentStream s = connected.get(d);
            sb.append(s == null ? d + " not connected" : s.toString()).append('\n');
        }
        return sb.isEmpty() ? "No components configured (strata.xep0114 components)\n" : sb.toString();
    }

    /** The configured components, from {@code components}: {@code domain=secret} each. */
    static Map<String, String> secrets(String[] components, List<String> hosted) {
        Map<String, String> s = new LinkedHashMap<>();
        for (String entry : components == null ? new String[0] : components) {
            String k = entry.strip();
            if (k.isEmpty()) continue;
            int eq = k.indexOf('=');
            if (eq < 0) {
                LOG.error("strata.xep0114 components: '{}' is not domain=secret; left out", k.replaceAll("(?<=.{3}).", "*"));
                continue;
            }
            String domain = k.substring(0, eq).strip().toLowerCase(java.util.Locale.ROOT);
            String secret = k.substring(eq + 1).strip();
            Jid jid;
            try {
                jid = Jid.of(domain);
            } catch (IllegalArgumentException e) {
                LOG.error("strata.xep0114 components: '{}' is not a domain; that component is left out", domain);
                continue;
            }
            if (jid.local() != null || jid.resource() != null) {
                LOG.error("strata.xep0114 components: a component is addressed by a domain alone, not '{}'; it is left out", domain);
            } else if (hosted.contains(jid.domain())) {
                LOG.error("strata.xep0114 components: {} is one of the server's own domains, not a component's; it is left out", domain);
            } else if (secret.isEmpty()) {
                LOG.error("strata.xep0114 components: {} has no secret; it is left out", domain);
            } else {
                s.put(jid.domain(), secret);
            }
        }
        return s;
    }

    @Modified
    synchronized void modified(Config config) {
        Map<String, String> next = secrets(config.components(), server.domains());
        for (var it = registrations.entrySet().iterator(); it.hasNext();) {
            var e = it.next();
            if (next.containsKey(e.getKey())) continue;
            e.getValue().close();
            it.remove();
            ComponentStream gone = connected.get(e.getKey());
            if (gone != null) gone.fail(StreamError.HOST_GONE, e.getKey() + " is no longer a component of this server");
        }
        for (var e : next.entrySet()) {
            ComponentStream c = connected.get(e.getKey());
            if (c != null && !e.getValue().equals(secrets.get(e.getKey()))) c.fail(StreamError.NOT_AUTHORIZED, "The component's secret changed");
            registrations.computeIfAbsent(e.getKey(), d -> register.apply(d, (stanza, from) -> toComponent(d, stanza, from)));
        }
        secrets = Map.copyOf(next);
        LOG.info("External components (XEP-0114): {}", next.isEmpty() ? "none configured" : String.join(", ", next.keySet()));
    }

    @Deactivate
    synchronized void deactivate() {
        registrations.values().forEach(DomainService.Registration::close);
        registrations.clear();
        for (ComponentStream c : connected.values()) c.fail(StreamError.SYSTEM_SHUTDOWN, "The component module stopped");
    }

    @Override
    public StreamHandler create(Connection connection) {
        return new ComponentStream(connection, this);
    }

    /** The secret of a configured component, or null. */
    String secret(String domain) {
        return secrets.get(domain);
    }

    /** A component authenticated: it takes its domain's stanzas unless another connection has them (then false). */
    boolean connect(String domain, ComponentStream stream) {
        return connected.putIfAbsent(domain, stream) == null;
    }

    void disconnected(String domain, ComponentStream stream) {
        connected.remove(domain, stream);
    }

    Router router() {
        return router;
    }

    /** A stanza to the component's domain: to the component while connected; otherwise an error for what expects an answer. */
    void toComponent(String domain, Element stanza, Origin from) {
        ComponentStream c = connected.get(domain);
        if (c != null) {
            c.send(stanza);
            return;
        }
        String type = stanza.attribute("type");
        boolean answerable = (stanza.name().equals("message") || stanza.name().equals("iq")) && !"error".equals(type) && !"result".equals(type);
        if (answerable) from.send(StanzaError.SERVICE_UNAVAILABLE.replyTo(stanza, "The component " + domain + " is not connected", false));
    }
}
