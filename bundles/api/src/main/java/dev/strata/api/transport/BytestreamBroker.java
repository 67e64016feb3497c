package dev.strata.api.transport;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Takes the connections of the {@code socks5} listeners (the XEP-0065 proxy): the transport does
 * the SOCKS5 negotiation (no authentication, CONNECT to a domain name, port 0) and offers each
 * connection here; the broker pairs the two of one bytestream when its initiator activates it. A
 * {@code socks5} listener takes connections only while a broker is registered.
 */
@ConsumerType
public interface BytestreamBroker {
    /**
     * A connection asked for the bytestream {@link Bytestream#hash()}. Returns null to take it (it
     * gets the SOCKS5 success reply and waits, unread, for {@link Bytestream#relay}), or why it is
     * refused (it gets SOCKS5 reply 0x02, "not allowed by ruleset", and is closed; the reason is logged).
     * Runs on the connection's event loop: must not block.
     */
    String offer(Bytestream connection);
}
