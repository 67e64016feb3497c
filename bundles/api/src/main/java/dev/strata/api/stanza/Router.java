package dev.strata.api.stanza;

import java.time.Duration;
import java.util.concurrent.CompletionStage;

import org.osgi.annotation.versioning.ProviderType;

import dev.strata.api.xml.Element;

/**
 * Delivers stanzas by the rules of RFC 6120 §10 and RFC 6121 §8: to local accounts, to services
 * hosted on a domain ({@link DomainService}), and to other servers ({@link RemoteRouter}; without
 * one, {@code remote-server-not-found}). Callers name an {@link Origin}: a client session, a
 * service, a remote stream or the server. Modules extend it with hooks
 * ({@link dev.strata.api.module.StanzaHook}), filters ({@link dev.strata.api.module.StanzaFilter})
 * and delivery listeners ({@link dev.strata.api.module.DeliveryListener}). A hook or filter that
 * throws fails closed: the stanza is not delivered and its sender gets {@code internal-server-error}.
 */
@ProviderType
public interface Router {
    /**
     * Routes a stanza a client sent; its 'from' has already been stamped with the sender's full
     * JID. IQs to the server go to the {@link dev.strata.api.module.IqHandler} registered for their
     * namespace, or are answered with {@code service-unavailable}.
     */
    void route(Element stanza, Origin from);

    /**
     * Delivers a stanza with a 'to' and a 'from' by RFC 6121 §8.5 (a local account), to the service
     * of its domain, or to a remote server, after the {@code inbound} hooks and filters, without the
     * outbound and presence processing of {@link #route}: for stanzas the server, a service or a
     * module generates. {@code from} receives any error reply.
     */
    default void deliver(Element stanza, Origin from) {
        deliver(stanza, StanzaContext.of(from));
    }

    /** {@link #deliver(Element, Origin)} with flags set on the context (a carbon copy, an archived message). */
    void deliver(Element stanza, StanzaContext context);

    /**
     * Sends an IQ of type get or set the server (or a service: its 'from') asks, and completes with
     * the answer, a result or an error {@code <iq/>}; completes exceptionally with a
     * {@link java.util.concurrent.TimeoutException} when none came within {@code timeout}. The
     * router gives the IQ an id of its own when it has none.
     */
    CompletionStage<Element> request(Element iq, Duration timeout);

    /** Runs the hooks of one point in order; true when one consumed the stanza (or failed, closing it). */
    boolean hook(String point, Element stanza, Origin origin);
}
