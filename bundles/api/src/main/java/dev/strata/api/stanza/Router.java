package dev.strata.api.stanza;

import org.osgi.annotation.versioning.ProviderType;

import dev.strata.api.xml.Element;

/**
 * Delivers stanzas by the rules of RFC 6120 §10 and RFC 6121 §8. The IM core builds on it: the
 * presence module hands it the presence it generates, hooks ({@link dev.strata.api.module.StanzaHook})
 * extend it.
 */
@ProviderType
public interface Router {
    /**
     * Routes a stanza a client sent; its 'from' has already been stamped with the sender's full
     * JID. IQs to the server go to the {@link dev.strata.api.module.IqHandler} registered for their
     * namespace, or are answered with {@code service-unavailable}.
     */
    void route(Element stanza, Session from);

    /**
     * Delivers a stanza with a 'to' and a 'from' to a local account by RFC 6121 §8.5, after the
     * {@code inbound} hooks, without the outbound and presence processing of {@link #route}: for
     * stanzas the server generates on a client's behalf. {@code from} receives any error reply.
     * A stanza for another server is dropped (no federation yet).
     */
    void deliver(Element stanza, Session from);

    /** Runs the hooks of one point in order; true when one consumed the stanza. */
    boolean hook(String point, Element stanza, Session session);
}
