package dev.strata.api.stanza;

import org.osgi.annotation.versioning.ProviderType;

import dev.strata.api.xml.Element;

/**
 * Delivers a stanza by the rules of RFC 6120 §10 and RFC 6121 §8; {@code from} has already been
 * stamped with the sender's full JID. IQs to the server go to the {@link dev.strata.api.module.IqHandler}
 * registered for their namespace, or are answered with {@code service-unavailable}.
 */
@ProviderType
public interface Router {
    void route(Element stanza, Session from);
}
