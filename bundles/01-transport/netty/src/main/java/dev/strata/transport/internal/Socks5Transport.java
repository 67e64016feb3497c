package dev.strata.transport.internal;

import java.util.concurrent.TimeUnit;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.transport.BytestreamBroker;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.timeout.ReadTimeoutHandler;

/**
 * What the connections of the {@link Listener}s of kind {@code socks5} get (XEP-0065 SOCKS5
 * bytestreams through the server's proxy, 7777 by default): admission (in total and per address),
 * the SOCKS5 negotiation within {@code handshake.timeout} ({@link Socks5Handshake}), then the
 * {@link BytestreamBroker} (the XEP-0065 module) decides; without it loaded, the listener takes no
 * connection. Connections accepted after a change get the new settings.
 */
@Component(name = "strata.transport.socks5", service = ListenerKind.class, property = ListenerKind.KIND + "=socks5")
@Designate(ocd = Socks5Transport.Config.class)
public final class Socks5Transport implements ListenerKind {
    private static final Logger LOG = LoggerFactory.getLogger(Socks5Transport.class);

    @ObjectClassDefinition(id = "strata.transport.socks5", name = "SOCKS5 bytestream connections (XEP-0065 proxy)")
    public @interface Config {
        @AttributeDefinition(min = "2", description = "Proxy connections at most, in total (two per transfer)")
        int max_connections() default 1000;

        @AttributeDefinition(min = "2", description = "Proxy connections at most from one IP address")
        int max_connections_per_ip() default 20;

        @AttributeDefinition(min = "1", max = "300", description = "Seconds a connection has to complete its SOCKS5 request")
        int handshake_timeout() default 10;

        @AttributeDefinition(min = "4096", description = "Bytes of each connection's kernel receive buffer (SO_RCVBUF): large enough for "
                + "the link's bandwidth times its round trip, small enough that the last bytes of a transfer stay near the proxy's rate bound")
        int receive_buffer() default 256 * 1024;
    }

    private final StreamConnections connections = new StreamConnections("socks5");
    private final Config config;
    private final BytestreamBroker broker;

    @Activate
    public Socks5Transport(Config config, @Reference BytestreamBroker broker) {
        this.config = config;
        this.broker = broker;
    }

    /**
     * A bounded receive buffer: once a sender has closed (its last bytes in the kernel), Netty's epoll
     * transport reads to the end whether reading is paused or not, so what the kernel holds then (some
     * megabytes on a fast link with the system's autotuning) would pass the rate bound. TCP keeps the
     * close behind the data, so a small buffer keeps that tail small.
     */
    @Override
    public int receiveBuffer() {
        return config.receive_buffer();
    }

    @Override
    public void accept(SocketChannel ch, boolean directTls) {
        if (directTls) {
            LOG.warn("A socks5 listener with direct.tls: SOCKS5 bytestreams have no TLS of their own (XEP-0065); connection from {} closed",
                    ch.remoteAddress());
            ch.close();
            return;
        }
        String refusal = connections.admit(ch, config.max_connections(), config.max_connections_per_ip());
        if (refusal != null) {
            LOG.warn("Refused a SOCKS5 connection from {}: {}", ch.remoteAddress(), refusal);
            // a greeting's answer that offers no method (RFC 1928 §3): the client gives up at once
            ch.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {5, (byte) 0xFF})).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        ch.pipeline().addLast("timeout", new ReadTimeoutHandler(config.handshake_timeout(), TimeUnit.SECONDS));
        ch.pipeline().addLast("socks5", new Socks5Handshake(broker));
    }

    /**
     * Closes the connections still negotiating or waiting for activation (the broker that knew them
     * is going); bytestreams already relaying go on until they end, or until the transport itself stops.
     */
    @Deactivate
    void deactivate() {
        connections.closeIf(ch -> !(ch.pipeline().get("relay") instanceof Socks5Stream s) || !s.relaying());
    }
}
