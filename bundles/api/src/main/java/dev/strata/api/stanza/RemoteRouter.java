package dev.strata.api.stanza;

import org.osgi.annotation.versioning.ConsumerType;

import dev.strata.api.xml.Element;

/**
 * Carries stanzas to domains this server neither hosts nor serves (server-to-server federation).
 * The router asks it for every such stanza, after local accounts and {@link DomainService}s;
 * without one registered, the sender gets {@code remote-server-not-found}.
 */
@ConsumerType
public interface RemoteRouter {
    /**
     * Sends {@code stanza} towards its domain; never blocks (queue while a stream is set up). When
     * it cannot be delivered, the error reply goes to {@code from.send} ({@code remote-server-not-found},
     * {@code remote-server-timeout}).
     */
    void route(Element stanza, Origin from);
}
