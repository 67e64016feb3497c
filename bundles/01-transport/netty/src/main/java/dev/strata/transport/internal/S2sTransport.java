package dev.strata.transport.internal;


import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import dev.strata.api.transport.StreamHandlerFactory;
import dev.strata.api.transport.StreamHeader;
import dev.strata.api.xml.XmlLimits;
import io.netty.channel.socket.SocketChannel;

/**
 * Server-to-server connections that the {@link Listener}s of kind {@code s2s} accept (5269, and
 * 5270 for XEP-0368 direct TLS; those this server opens are {@link S2sDialer}'s), with the stream pipeline of client connections (TLS, stanza size, depth and attribute bounds, read
 * rate, back-pressure, the slow-reader bound) and limits for busy peers that carry many users'
 * traffic. Stream negotiation, authentication (dialback) and routing are the stream layer's (the
 * s2s module, {@code strata.listener=s2s}); without it loaded, the listener takes no connection.
 */
@Component(name = "strata.transport.s2s", service = ListenerKind.class, property = ListenerKind.KIND + "=s2s")
@Designate(ocd = S2sTransport.Config.class)
public final class S2sTransport implements ListenerKind {

    @ObjectClassDefinition(id = "strata.transport.s2s", name = "Server-to-server connections")
    public @interface Config {
        @AttributeDefinition(min = "1", description = "Inbound server connections at most, in total")
        int max_connections() default 10_000;

        @AttributeDefinition(min = "1", description = "Inbound server connections at most from one IP address")
        int max_connections_per_ip() default 100;

        @AttributeDefinition(min = "1", max = "300", description = "Seconds a peer has to complete the TLS handshake")
        int tls_handshake_timeout() default 10;

        @AttributeDefinition(min = "0", description = "Seconds of silence (nothing read, nothing written) before a server stream is closed; 0: never")
        int idle_timeout() default 600;

        @AttributeDefinition(min = "10000", description = "Largest stanza in bytes (policy-violation above; RFC 6120 §13.12 asks for 10000 at least)")
        int max_stanza_size() default 512 * 1024;

        @AttributeDefinition(min = "4", max = "1000", description = "Deepest element nesting in a stanza")
        int max_depth() default 32;

        @AttributeDefinition(min = "4", max = "10000", description = "Most attributes on one element")
        int max_attributes() default 64;

        @AttributeDefinition(min = "4096", description = "Bytes waiting to be written to one peer (it does not read) above which its stream is closed")
        int max_outbound_bytes() default 16 << 20;

        @AttributeDefinition(min = "1024", description = "Bytes per second read from one server connection at most, after a burst of as many")
        int max_bytes_per_second() default 16 << 20;
    }

    private final StreamConnections connections = new StreamConnections("s2s");
    private final Config config;
    private final TlsManager tls;
    private final StreamHandlerFactory factory;
    private final XmlLimits limits;

    @Activate
    public S2sTransport(Config config, @Reference TlsManager tls,
                        @Reference(target = "(strata.listener=s2s)") StreamHandlerFactory factory) {
        this.config = config;
        this.tls = tls;
        this.factory = factory;
        this.limits = limits(config);
    }

    static ReadRate rate(Config config) {
        return new ReadRate(config.max_bytes_per_second(), Math.max(config.max_bytes_per_second(), 2L * config.max_stanza_size()));
    }

    static XmlLimits limits(Config config) {
        return new XmlLimits(config.max_stanza_size(), config.max_depth(), config.max_attributes());
    }

    @Override
    public void accept(SocketChannel ch, boolean directTls) {
        String refusal = connections.admit(ch, config.max_connections(), config.max_connections_per_ip());
        if (refusal != null) {
            C2sTransport.refuse(ch, directTls, new StreamHeader(null, null, StreamHeader.SERVER), "server", refusal);
            return;
        }
        int idle = config.idle_timeout();
        C2sTransport.streamPipeline(ch, directTls, tls, true, factory, limits, config.tls_handshake_timeout(), idle, idle > 0 ? Math.min(idle, 10) : 10,
                config.max_outbound_bytes(), rate(config));
    }

    @Deactivate
    void deactivate() {
        connections.closeAll("the server-to-server transport stopped (server shutdown, or module:unload/reload transport)");
    }
}
