package dev.strata.transport.internal;

import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;

/**
 * One listening socket, a factory configuration of {@code strata.listener} per port:
 * {@code config/stack/01-transport/strata.listener~c2s.cfg} (5222, STARTTLS) and
 * {@code strata.listener~c2s-tls.cfg} (5223, direct TLS) ship by default; add a file to listen on
 * another address or port, delete one to stop listening there. Each accepted connection goes to the
 * {@link ListenerKind} of the listener's kind; while no module serves that kind the connection is
 * closed. Waits for its configuration, so it never binds a default port first.
 */
@Component(name = "strata.listener", configurationPolicy = ConfigurationPolicy.REQUIRE, service = Listener.class, immediate = true)
@Designate(ocd = Listener.Config.class, factory = true)
public final class Listener {
    private static final Logger LOG = LoggerFactory.getLogger(Listener.class);

    @ObjectClassDefinition(id = "strata.listener", name = "Network listener")
    public @interface Config {
        @AttributeDefinition(description = "What the connections speak", options = {@Option(value = "c2s", label = "client-to-server"),
                @Option(value = "s2s", label = "server-to-server"), @Option(value = "component", label = "external component (XEP-0114)")})
        String kind() default "c2s";

        @AttributeDefinition(description = "Address to bind")
        String bind() default "0.0.0.0";

        @AttributeDefinition(min = "0", max = "65535", description = "Port; 0: any free port")
        int port();

        @AttributeDefinition(description = "TLS from the first byte (XEP-0368 direct TLS) instead of STARTTLS")
        boolean direct_tls() default false;
    }

    private final Config config;
    private final Map<String, ListenerKind> kinds = new ConcurrentHashMap<>();
    private final Channel server;

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void addKind(ListenerKind kind, Map<String, Object> props) {
        if (props.get(ListenerKind.KIND) instanceof String k) kinds.put(k, kind);
    }

    void removeKind(ListenerKind kind) {
        kinds.values().remove(kind);
    }

    @Activate
    public Listener(Config config, @Reference EventLoops loops) throws InterruptedException {
        this.config = config;
        ServerBootstrap b = new ServerBootstrap().group(loops.boss(), loops.workers()).channel(loops.channelType())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(C2sTransport.LOW_WATER, C2sTransport.HIGH_WATER))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ListenerKind kind = kinds.get(config.kind());
                        if (kind == null) {
                            LOG.warn("Closed a {} connection from {}: no module serves {} connections now", config.kind(), ch.remoteAddress(), config.kind());
                            ch.close();
                            return;
                        }
                        kind.accept(ch, config.direct_tls());
                    }
                });
        try {
            server = b.bind(config.bind(), config.port()).sync().channel();
        } catch (Exception e) {
            LOG.error("Cannot listen on {}:{} for {} connections: {} (set the STRATA_*_PORT variables or the strata.listener configurations)",
                    config.bind(), config.port(), config.kind(), e.getMessage());
            throw e;
        }
        LOG.info("Listening on {}:{} for {} connections ({}) over {}", config.bind(), ((InetSocketAddress) server.localAddress()).getPort(),
                config.kind(), config.direct_tls() ? "direct TLS" : "STARTTLS", loops.kind());
    }

    @Deactivate
    void deactivate() {
        server.close().syncUninterruptibly();
        LOG.info("Stopped listening on {}:{} for {} connections", config.bind(), config.port(), config.kind());
    }
}
