/**
 * The contract between the transport layer (sockets, TLS) and the stream layer (XMPP stream
 * negotiation): the transport offers each accepted {@link dev.strata.api.transport.Connection}
 * to the {@link dev.strata.api.transport.StreamHandlerFactory} registered for its listener.
 */
@Export
@Version("1.4.0")
package dev.strata.api.transport;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
