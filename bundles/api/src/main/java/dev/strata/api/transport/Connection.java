package dev.strata.api.transport;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

import dev.strata.api.stanza.StreamError;
import dev.strata.api.xml.Element;

/**
 * One client socket as the stream layer sees it. Writes never block; they are thread-safe and
 * keep their order. Reading is paused and resumed for back-pressure.
 */
@ProviderType
public interface Connection {
    InetSocketAddress remoteAddress();

    /**
     * What carries the stream: {@code tcp} (RFC 6120, with or without TLS), {@code websocket}
     * (RFC 7395); for session listings and metrics.
     */
    default String kind() {
        return "tcp";
    }

    /**
     * Whether the stream is a plain byte stream that STARTTLS (RFC 6120 §5) and XEP-0138 compression
     * can change; false over WebSocket (RFC 7395 §3.4: TLS and compression belong to the WebSocket
     * layer), where neither may be offered.
     */
    default boolean byteStream() {
        return true;
    }

    /** Whether TLS is established (direct TLS, or after STARTTLS). */
    boolean isSecure();

    /** The TLS protocol in use (e.g. {@code TLSv1.3}), when secure. */
    Optional<String> tlsProtocol();

    /** The server name the client asked for with SNI, when it did. */
    Optional<String> serverName();

    /** Writes raw text and flushes; the stream's own framing goes through {@link #openStream}, {@link #streamError}, {@link #closeStream}. */
    void write(String text);

    /**
     * Opens the server's side of a stream (RFC 6120 §4.7.1, and again after each stream restart) as
     * this kind of connection frames it, with the stream features that follow it (RFC 6120 §4.3.2)
     * in the same write; {@code features} empty: none are sent.
     */
    void openStream(StreamHeader header, List<Element> features);

    /**
     * Sends a stream error (RFC 6120 §4.9), after the server's stream header if it was not sent on
     * this stream yet (§4.9.1.1), closes the stream and then the connection as {@link #closeGracefully} does.
     */
    void streamError(StreamHeader header, StreamError error, String text);

    /** Closes the server's side of the stream (RFC 6120 §4.4), after its header if not sent yet, then as {@link #closeGracefully}. */
    void closeStream(StreamHeader header);

    /** Writes an element in the given context namespace and flushes. */
    void write(Element element, String contextNamespace);

    /** Writes elements in order and flushes once: one write where the transport allows (client state indication releasing what it held). */
    default void write(List<Element> elements, String contextNamespace) {
        for (Element e : elements) write(e, contextNamespace);
    }

    /**
     * RFC 6120 §5.4.3.3: writes {@code proceed} in the clear, then starts the TLS handshake;
     * {@code done} runs when it succeeded (the stream layer then expects a new stream header).
     */
    void startTls(Element proceed, Runnable done);

    /**
     * On a connection this server dialled ({@link Dialer}; RFC 6120 §5.4.3.3 as the initiating
     * entity): after the peer's {@code <proceed/>}, starts the TLS handshake as a client, with SNI
     * {@code serverName} and {@code ourDomain}'s certificate; {@code done} runs when it succeeded
     * (the stream layer then opens a new stream). A failed handshake closes the connection.
     */
    default void startTlsAsClient(String ourDomain, String serverName, Runnable done) {
        throw new UnsupportedOperationException("Only a connection this server dialled starts TLS as a client");
    }

    /** The peer's certificate chain, its own first, once TLS is established and when it sent one; empty otherwise. */
    default List<java.security.cert.X509Certificate> peerCertificates() {
        return List.of();
    }

    /**
     * XEP-0138: writes {@code compressed}, then compresses both directions with zlib; {@code done}
     * runs once the codecs are in place (the client then sends a new stream header).
     */
    void startCompression(Element compressed, Runnable done);

    /** Whether stream compression is on. */
    boolean isCompressed();

    /** Starts a new stream document on the parser (after STARTTLS or SASL success). */
    void resetStream();

    /**
     * Channel binding data of RFC 5929 and RFC 9266 for {@code tls-server-end-point} and
     * {@code tls-exporter}; empty when not secure or not available (tls-exporter needs TLS 1.3).
     */
    Optional<byte[]> channelBinding(String type);

    void pauseReading();

    void resumeReading();

    /** Flushes what was written and closes the socket. */
    void close();

    /**
     * After our closing stream tag: flushes, reads nothing more, and leaves the TCP close to the
     * peer (RFC 6120 §4.4: once both closing tags are exchanged the peer terminates the
     * connection), closing it ourselves if the peer has not within a few seconds. Closing at once
     * would put the TLS close_notify in the same read as our last bytes (some clients drop those)
     * and, with unread input, reset the connection.
     */
    void closeGracefully();
}
