package dev.strata.api.transport;

import java.net.InetSocketAddress;
import java.util.concurrent.CompletionStage;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Opens XML stream connections to other servers (server-to-server): provided by the transport,
 * with the limits and back-pressure of its listeners. The stream layer writes first on such a
 * connection (its stream header, through {@link Connection#openStream} with no features).
 */
@ProviderType
public interface Dialer {
    /**
     * Connects to {@code address} (TLS from the first byte when {@code directTls}, XEP-0368, as
     * {@code ourDomain} with SNI {@code serverName}), then hands the connection to {@code factory}.
     * Completes with the handler {@code factory} made, or fails when the TCP connection (or the TLS
     * handshake of direct TLS) fails within {@code timeoutMillis}.
     */
    CompletionStage<StreamHandler> dial(InetSocketAddress address, boolean directTls, String ourDomain, String serverName, int timeoutMillis,
                                        StreamHandlerFactory factory);
}
