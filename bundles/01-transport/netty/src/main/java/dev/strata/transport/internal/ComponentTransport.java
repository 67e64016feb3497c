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
 * What external components' connections (XEP-0114, listeners of kind {@code component}, 5347 on
 * loopback by default) get: a bound on their number, the stream pipeline of client connections
 * (direct TLS when the listener says so, stanza size, depth and attribute bounds, read rate,
 * back-pressure, the slow-reader bound) with limits for trusted, busy peers (a gateway carries many
 * users' traffic), and no idle timeout by default. The handshake and routing are the stream
 * layer's (the XEP-0114 module, {@code strata.listener=component}); without it loaded, the listener
 * takes no connection.
 */
@Component(name = "strata.transport.component", service = ListenerKind.class, property = ListenerKind.KIND + "=component")
@Designate(ocd = ComponentTransport.Config.class)
public final class ComponentTransport implements ListenerKind {

    @ObjectClassDefinition(id = "strata.transport.component", name = "Component connections (XEP-0114)")
    public @interface Config {
        @AttributeDefinition(min = "1", description = "Component connections at most, in total")
        int max_connections() default 100;

        @AttributeDefinition(min = "1", max = "300", description = "Seconds a component has to complete the TLS handshake on a listener with direct.tls")
        int tls_handshake_timeout() default 10;

        @AttributeDefinition(min = "0", description = "Seconds of silence before a component's stream is closed with connection-timeout; 0: never")
        int idle_timeout() default 0;

        @AttributeDefinition(min = "1024", description = "Largest stanza in bytes (policy-violation above)")
        int max_stanza_size() default 1 << 20;

        @AttributeDefinition(min = "4", max = "1000", description = "Deepest element nesting in a stanza")
        int max_depth() default 32;

        @AttributeDefinition(min = "4", max = "10000", description = "Most attributes on one element")
        int max_attributes() default 64;

        @AttributeDefinition(min = "4096", description = "Bytes waiting to be written to one component (it does not read) above which its "
                + "stream is closed with policy-violation")
        int max_outbound_bytes() default 16 << 20;

        @AttributeDefinition(min = "1024", description = "Bytes per second read from one component at most, after a burst of as many")
        int max_bytes_per_second() default 64 << 20;
    }

    private final StreamConnections connections = new StreamConnections("component");
    private final Config config;
    private final TlsManager tls;
    private final StreamHandlerFactory factory;
    private final XmlLimits limits;

    @Activate
    public ComponentTransport(Config config, @Reference TlsManager tls, @Reference(target = "(strata.listener=component)") StreamHandlerFactory factory) {
        this.config = config;
        this.tls = tls;
        this.factory = factory;
        this.limits = new XmlLimits(config.max_stanza_size(), config.max_depth(), config.max_attributes());
    }

    @Override
    public void accept(SocketChannel ch, boolean directTls) {
        String refusal = connections.admit(ch, config.max_connections(), config.max_connections());
        if (refusal != null) {
            C2sTransport.refuse(ch, directTls, new StreamHeader(null, null, StreamHeader.COMPONENT), "component", refusal);
            return;
        }
        int idle = config.idle_timeout();
        C2sTransport.streamPipeline(ch, directTls, tls, factory, limits, config.tls_handshake_timeout(), idle, idle > 0 ? Math.min(idle, 10) : 10,
                config.max_outbound_bytes(), new ReadRate(config.max_bytes_per_second(), Math.max(config.max_bytes_per_second(), 2L * config.max_stanza_size())));
    }

    @Deactivate
    void deactivate() {
        connections.closeAll("the component transport stopped (server shutdown, or module:unload/reload transport)");
    }
}
