package dev.strata.api.transport;

/**
 * The attributes of the server's stream header (RFC 6120 §4.7): how a connection frames it is its own
 * business (a TCP stream opens {@code <stream:stream>}, RFC 7395 WebSocket sends {@code <open/>}).
 *
 * @param from the domain the server speaks for
 * @param id the stream id (none on a stream this server initiates)
 * @param namespace the stream's content namespace: {@value #CLIENT}, {@value #SERVER} (server-to-server,
 *     with the dialback prefix declared, XEP-0220), or {@value #COMPONENT} for a XEP-0114 component
 *     stream (whose header has no {@code version}: that protocol predates it)
 * @param to the peer's domain, on server-to-server streams
 */
public record StreamHeader(String from, String id, String namespace, String to) {
    public static final String CLIENT = "jabber:client";
    public static final String SERVER = "jabber:server";
    public static final String COMPONENT = "jabber:component:accept";
    /** XEP-0220's namespace, declared as {@code db} on server-to-server stream headers. */
    public static final String DIALBACK = "jabber:server:dialback";

    /** A header without 'to'. */
    public StreamHeader(String from, String id, String namespace) {
        this(from, id, namespace, null);
    }

    /** A client stream's header. */
    public StreamHeader(String from, String id) {
        this(from, id, CLIENT);
    }
}
