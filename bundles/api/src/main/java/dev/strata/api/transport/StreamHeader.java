package dev.strata.api.transport;

/**
 * The attributes of the server's stream header (RFC 6120 §4.7): how a connection frames it is its own
 * business (a TCP stream opens {@code <stream:stream>}, RFC 7395 WebSocket sends {@code <open/>}).
 *
 * @param from the domain the server speaks for
 * @param id the stream id
 */
public record StreamHeader(String from, String id) {
}
