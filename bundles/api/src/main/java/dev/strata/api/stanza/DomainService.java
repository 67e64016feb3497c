package dev.strata.api.stanza;

import org.osgi.annotation.versioning.ConsumerType;

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
}
