package dev.strata.transport.internal;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.transport.StreamHandlerFactory;
import dev.strata.api.xml.XmlLimits;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.ssl.SniHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;

/**
 * Client-to-server listeners: STARTTLS on {@code port} (5222) and direct TLS (XEP-0368) on
 * {@code tls.port} (5223). Waits for its configuration, so it never binds a default port first.
 * Limits: connections in total and per address, idle timeout, size, depth and attribute count of
 * stanzas; each refusal carries its stream error.
 */
@Component(name = "strata.transport.c2s", configurationPolicy = ConfigurationPolicy.REQUIRE, service = C2sListeners.class, immediate = true)
@Designate(ocd = C2sListeners.Config.class)
public final class C2sListeners {
    private static final Logger LOG = LoggerFactory.getLogger(C2sListeners.class);
    /** Outbound bytes at which a connection stops being writable (and stops being read), and becomes writable again. */
    static final int HIGH_WATER = 64 * 1024, LOW_WATER = 32 * 1024;

    @ObjectClassDefinition(id = "strata.transport.c2s", name = "Client connections")
    public @interface Config {
        @AttributeDefinition(description = "Address to bind")
        String bind() default "0.0.0.0";

        @AttributeDefinition(min = "0", max = "65535", description = "STARTTLS port (RFC 6120); 0: any free port")
        int port() default 5222;

        @AttributeDefinition(min = "-1", max = "65535", description = "Direct TLS port (XEP-0368); -1: off")
        int tls_port() default 5223;

        @AttributeDefinition(min = "1", description = "Connections at most, in total")
        int max_connections() default 100_000;

        @AttributeDefinition(min = "1", description = "Connections at most from one IP address")
        int max_connections_per_ip() default 100;

        @AttributeDefinition(min = "1", max = "300", description = "Seconds a client has to complete the TLS handshake (from its first byte on 5223, or after <proceed/>)")
        int tls_handshake_timeout() default 10;

        @AttributeDefinition(min = "0", description = "Seconds of silence before a stream is closed with connection-timeout; 0: never")
        int idle_timeout() default 900;

        @AttributeDefinition(min = "1", description = "Seconds of silence after which a connection releases its XML parser's buffers "
                + "(some 3.5 KB; a new parser re-reads the stream header when the next bytes come)")
        int parser_release_after() default 10;

        @AttributeDefinition(min = "1024", description = "Largest stanza in bytes (policy-violation above)")
        int max_stanza_size() default 262_144;

        @AttributeDefinition(min = "4", max = "1000", description = "Deepest element nesting in a stanza")
        int max_depth() default 32;

        @AttributeDefinition(min = "4", max = "10000", description = "Most attributes on one element")
        int max_attributes() default 64;

        @AttributeDefinition(min = "4096", description = "Bytes waiting to be written to one client (it does not read) above which its stream "
                + "is closed with policy-violation; reading from it pauses as soon as 64 KiB wait")
        int max_outbound_bytes() default 1 << 20;
    }

    private final ChannelGroup channels = new DefaultChannelGroup("c2s", GlobalEventExecutor.INSTANCE);
    private final ConcurrentHashMap<InetAddress, AtomicInteger> perIp = new ConcurrentHashMap<>();
    private final AtomicInteger total = new AtomicInteger();
    private final Config config;
    private final List<Channel> servers;

    @Activate
    public C2sListeners(Config config, @Reference EventLoops loops, @Reference TlsManager tls,
                        @Reference(target = "(strata.listener=c2s)") StreamHandlerFactory factory) throws InterruptedException {
        this.config = config;
        XmlLimits limits = new XmlLimits(config.max_stanza_size(), config.max_depth(), config.max_attributes());
        Channel plain = bind(loops, config.port(), false, tls, factory, limits);
        Channel direct = config.tls_port() >= 0 ? bind(loops, config.tls_port(), true, tls, factory, limits) : null;
        servers = direct == null ? List.of(plain) : List.of(plain, direct);
        LOG.info("Client connections on {}:{} (STARTTLS){} over {}", config.bind(), port(plain),
                direct == null ? "" : " and " + config.bind() + ":" + port(direct) + " (direct TLS)", loops.kind());
    }

    private static int port(Channel c) {
        return ((InetSocketAddress) c.localAddress()).getPort();
    }

    private Channel bind(EventLoops loops, int port, boolean directTls, TlsManager tls, StreamHandlerFactory factory, XmlLimits limits)
            throws InterruptedException {
        ServerBootstrap b = new ServerBootstrap().group(loops.boss(), loops.workers()).channel(loops.channelType())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(LOW_WATER, HIGH_WATER))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        InetAddress ip = ch.remoteAddress().getAddress();
                        String refusal = admit(ip);
                        if (refusal != null) {
                            refuse(ch, directTls, refusal);
                            return;
                        }
                        channels.add(ch);
                        ch.closeFuture().addListener(f -> release(ip));
                        long handshakeMillis = config.tls_handshake_timeout() * 1000L;
                        if (directTls) ch.pipeline().addLast("sni", new SniHandler(tls, handshakeMillis));
                        // silence is checked every parser_release_after seconds (the parser is released
                        // then) and the stream closed once idle_timeout has passed
                        int timeout = config.idle_timeout(), release = config.parser_release_after();
                        ch.pipeline().addLast("idle", new IdleStateHandler(timeout > 0 ? Math.min(timeout, release) : release, 0, 0, TimeUnit.SECONDS));
                        // flushes from the session workers are gathered into one per event-loop turn: fewer TLS records and syscalls
                        ch.pipeline().addLast("flush", new FlushConsolidationHandler(FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true));
                        ch.pipeline().addLast("xmpp", new NettyConnection(factory, tls, limits, handshakeMillis, timeout * 1000L, config.max_outbound_bytes()));
                    }
                });
        try {
            return b.bind(config.bind(), port).sync().channel();
        } catch (Exception e) {
            LOG.error("Cannot listen on {}:{} for client connections: {} (set STRATA_C2S_PORT / STRATA_C2S_TLS_PORT or strata.transport.c2s)",
                    config.bind(), port, e.getMessage());
            throw e;
        }
    }

    /** Null when the connection may stay, else why not. */
    private String admit(InetAddress ip) {
        if (total.incrementAndGet() > config.max_connections()) {
            total.decrementAndGet();
            return "The server has too many connections";
        }
        if (perIp.computeIfAbsent(ip, k -> new AtomicInteger()).incrementAndGet() > config.max_connections_per_ip()) {
            total.decrementAndGet();
            perIp.get(ip).decrementAndGet();
            return "Too many connections from your address";
        }
        return null;
    }

    private void release(InetAddress ip) {
        total.decrementAndGet();
        perIp.computeIfPresent(ip, (k, v) -> v.decrementAndGet() <= 0 ? null : v);
    }

    /** RFC 6120 §4.9.1.1: a stream header, then the error, then the end of the stream. */
    private static void refuse(SocketChannel ch, boolean directTls, String text) {
        LOG.warn("Refused a client connection from {}: {}", ch.remoteAddress(), text);
        if (directTls) {
            ch.close();
            return;
        }
        String bye = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
                + "version='1.0'><stream:error><policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
                + "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams' xml:lang='en'>" + text + "</text></stream:error></stream:stream>";
        ch.writeAndFlush(ByteBufUtil.writeUtf8(ch.alloc(), bye)).addListener(ChannelFutureListener.CLOSE);
    }

    int openConnections() {
        return total.get();
    }

    @Deactivate
    void deactivate() {
        for (Channel s : servers) s.close().syncUninterruptibly();
        channels.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        LOG.info("Client listeners closed");
    }
}
