package dev.strata.api.stanza;

import java.util.Hashtable;
import java.util.List;

import org.osgi.annotation.versioning.ConsumerType;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

import dev.strata.api.xml.Element;

/**
 * A service hosted on its own domain ({@code conference.example.org}, {@code pubsub.example.org},
 * {@code upload.example.org}, an external component), registered with the service property
 * {@value #DOMAIN} (one or more domains) and optionally {@value #NAME}. The router hands it every
 * stanza addressed to that domain or to any JID under it, and the main domain's disco#items lists
 * it while it is registered.
 *
 * <p>Threading: {@link #handle} runs on the sender's worker, many senders in parallel. A service
 * keeps its own order where it needs one (one queue per room, say) and takes no global lock; it
 * may block on storage, but not for long, since the sender waits.
 */
@ConsumerType
public interface DomainService {
    /** Service property: the domain(s) this service is addressed at. */
    String DOMAIN = "strata.route.domain";

    /** Service property: the name disco#items shows for it. */
    String NAME = "strata.route.name";

    /**
     * A stanza to the service's domain or a JID under it, its 'from' stamped. Errors for it go to
     * {@code from.send}; a service answers through {@link Router#deliver}.
     */
    void handle(Element stanza, Origin from);

    /** What {@link #register} made: closing it unregisters the service (harmless once its bundle stopped). */
    interface Registration extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Registers {@code service} for {@code domains} (named {@code name} in disco#items), for
     * services whose domains follow configuration (a label before each hosted domain) and so
     * cannot be declared with {@link ServedDomain}.
     */
    static Registration register(BundleContext context, List<String> domains, String name, DomainService service) {
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(DOMAIN, domains.toArray(String[]::new));
        if (name != null) props.put(NAME, name);
        ServiceRegistration<DomainService> r = context.registerService(DomainService.class, service, props);
        return () -> {
            try {
                r.unregister();
            } catch (IllegalStateException e) {
                // the bundle is stopping and took it already
            }
        };
    }
}
