package dev.strata.api.stanza;

import java.util.Hashtable;
import java.util.List;

import org.osgi.annotation.versioning.ConsumerType;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

import dev.strata.api.Jid;
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

    /** How a service that answers IQs only ({@link #answeringIqs}) answers one: the result's payload (null: empty), or a {@link StanzaException}. */
    @FunctionalInterface
    interface IqAnswer {
        Element answer(Iq iq) throws StanzaException;
    }

    /**
     * A service that answers IQs to its domain and nothing else (an upload service, a bytestream
     * proxy): results, errors and presence are dropped, a message gets {@code service-unavailable}
     * ("DOMAIN is WHAT; it answers IQs only"), an IQ to a JID under the domain {@code item-not-found},
     * and each IQ to the domain gets {@code answer}'s result or its error.
     */
    static DomainService answeringIqs(Router router, String what, IqAnswer answer) {
        return (stanza, from) -> {
            String type = stanza.attribute("type");
            if ("error".equals(type) || "result".equals(type) || stanza.name().equals("presence")) return;
            Jid to = Jid.of(stanza.attribute("to"));
            try {
                if (!stanza.name().equals("iq")) throw new StanzaException(StanzaError.SERVICE_UNAVAILABLE, to.domain() + " is " + what + "; it answers IQs only");
                Iq iq = Iq.of(stanza, from.jid(), to);
                if (to.local() != null || to.resource() != null) {
                    throw new StanzaException(StanzaError.ITEM_NOT_FOUND, "There is no " + to + "; " + to.domain() + " is " + what);
                }
                Element reply = iq.result(answer.answer(iq));
                router.deliver(reply, Origin.of(to, x -> { }));
            } catch (StanzaException e) {
                from.send(e.error().replyTo(stanza, e.getMessage(), stanza.name().equals("iq") && e.echoPayload(), e.specific()));
            }
        };
    }

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
