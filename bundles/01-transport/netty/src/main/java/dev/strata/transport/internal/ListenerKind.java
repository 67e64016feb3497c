package dev.strata.transport.internal;

import io.netty.channel.socket.SocketChannel;

/**
 * What a kind of listener ({@code c2s}, later {@code s2s} and {@code component}) does with each
 * connection a {@link Listener} of that kind accepts: admission, limits, and the pipeline up to
 * the stream layer's handler. Registered with the service property {@value #KIND}.
 */
interface ListenerKind {
    String KIND = "strata.listener.kind";

    /** Sets up {@code ch} (or refuses it); {@code directTls}: TLS from the first byte (XEP-0368). */
    void accept(SocketChannel ch, boolean directTls);

    /** Bytes of its connections' kernel receive buffer (SO_RCVBUF); 0: the system's (autotuned). */
    default int receiveBuffer() {
        return 0;
    }
}
