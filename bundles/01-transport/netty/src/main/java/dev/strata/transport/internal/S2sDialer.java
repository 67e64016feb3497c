package dev.strata.transport.internal;

import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

import dev.strata.api.transport.Dialer;
import dev.strata.api.transport.StreamHandler;
import dev.strata.api.transport.StreamHandlerFactory;
import dev.strata.api.xml.XmlLimits;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateHandler;

/**
 * The connections this server opens to other servers, with the limits of {@code strata.transport.s2s}
 * (shared with {@link S2sTransport}, the inbound side) and the stream pipeline of every XML stream.
 * A component of its own, so that the stream layer can dial without the inbound listener's factory
 * (which it registers) being there first.
 */
@Component(configurationPid = "strata.transport.s2s", service = Dialer.class)
public final class S2sDialer implements Dialer {
    private final StreamConnections connections = new StreamConnections("s2s-out");
    private final S2sTransport.Config config;
    private final EventLoops loops;
    private final TlsManager tls;
    private final XmlLimits limits;

    @Activate
    public S2sDialer(S2sTransport.Config config, @Reference EventLoops loops, @Reference TlsManager tls) {
        this.config = config;
        this.loops = loops;
        this.tls = tls;
        this.limits = S2sTransport.limits(config);
    }

    @Override
    public CompletionStage<StreamHandler> dial(InetSocketAddress address, boolean directTls, String ourDomain, String serverName, int timeoutMillis,
                                               StreamHandlerFactory streams) {
        CompletableFuture<StreamHandler> made = new CompletableFuture<>();
        long handshakeMillis = config.tls_handshake_timeout() * 1000L;
        int idle = config.idle_timeout();
        Bootstrap b = new Bootstrap().group(loops.workers()).channel(loops.clientChannelType())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, timeoutMillis)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(C2sTransport.LOW_WATER, C2sTransport.HIGH_WATER))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (directTls) {
                            SslHandler ssl = tls.client(ourDomain).newHandler(ch.alloc(), serverName, address.getPort());
                            ssl.setHandshakeTimeoutMillis(handshakeMillis);
                            ch.pipeline().addLast("tls", ssl);
                        }
                        ch.pipeline().addLast("idle", new IdleStateHandler(idle > 0 ? Math.min(idle, 10) : 10, 0, 0, TimeUnit.SECONDS));
                        ch.pipeline().addLast("flush", new FlushConsolidationHandler(FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true));
                        NettyConnection c = new NettyConnection(conn -> {
                            StreamHandler h = streams.create(conn);
                            made.complete(h);
                            return h;
                        }, tls, limits, handshakeMillis, idle * 1000L, config.max_outbound_bytes(), S2sTransport.rate(config));
                        c.dialled = true;
                        ch.pipeline().addLast("xmpp", c);
                        connections.track(ch);
                    }
                });
        b.connect(address).addListener(f -> {
            if (!f.isSuccess()) made.completeExceptionally(f.cause());
        });
        return made;
    }

    @Deactivate
    void deactivate() {
        connections.closeAll("the server-to-server transport stopped (server shutdown, or module:unload/reload transport)");
    }
}
