/**
 * The contract between the transport layer (sockets, TLS) and the stream layer (XMPP stream
 * negotiation): the transport offers each accepted {@link dev.strata.api.transport.Connection}
 * to the {@link dev.strata.api.transport.StreamHandlerFactory} registered for its listener, and each
 * SOCKS5 connection of a {@code socks5} listener (XEP-0065) to the {@link dev.strata.api.transport.BytestreamBroker}; it dials other servers ({@link dev.strata.api.transport.Dialer}) and looks names up ({@link dev.strata.api.transport.Dns}).
 */
@Export
@Version("1.7.0")
package dev.strata.api.transport;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
