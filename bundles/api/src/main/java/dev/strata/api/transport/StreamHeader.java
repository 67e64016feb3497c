package dev.strata.api.transport;

/**
 * The attributes of the server's stream header (RFC 6120 §4.7): how a connection frames it is its own
 * business (a TCP stream opens {@code <stream:stream>}, RFC 7395 WebSocket sends {@code <open/>}).
 *
 * @param from the domain the server speaks for
 * @param id the stream id
 * @param namespace the stream's content namespace: {@value #CLIENT}, or {@value #COMPONENT} for a
 *     XEP-0114 component stream (whose header has no {@code version}: that protocol predates it)
 */
public record StreamHeader(String from, String id, String namespace) {
    public static final String CLIENT = "jabber:client";
    public static final String COMPONENT = "jabber:component:accept";

    /** A client stream's header. */
    public StreamHeader(String from, String id) {
        this(from, id, CLIENT);
    }
}
