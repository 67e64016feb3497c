package dev.strata.transport.internal;

import java.net.InetSocketAddress;
import java.util.Map;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
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

import dev.strata.api.module.Problem;

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
 * another address or port, delete one to stop listening there. The socket is open while a
 * {@link ListenerKind} of the listener's kind is there to take its connections (so a client never
 * reaches a port nobody serves, at startup or while that module reloads). Waits for its
 * configuration, so it never binds a default port first.
 */
@Component(name = "strata.listener", configurationPolicy = ConfigurationPolicy.REQUIRE, service = Listener.class, immediate = true)
@Designate(ocd = Listener.Config.class, factory = true)
public final class Listener {
    private static final Logger LOG = LoggerFactory.getLogger(Listener.class);

    @ObjectClassDefinition(id = "strata.listener", name = "Network listener")
    public @interface Config {
        @AttributeDefinition(description = "What the connections speak", options = {@Option(value = "c2s", label = "client-to-server"),
                @Option(value = "s2s", label = "server-to-server"), @Option(value = "component", label = "external component (XEP-0114)"),
                @Option(value = "socks5", label = "SOCKS5 bytestream proxy (XEP-0065)"),
                @Option(value = "http", label = "HTTP: XMPP over WebSocket (RFC 7395), host-meta (XEP-0156)")})
        String kind() default "c2s";

        @AttributeDefinition(description = "Address to bind")
        String bind() default "0.0.0.0";

        @AttributeDefinition(min = "0", max = "65535", description = "Port; 0: any free port")
        int port();

        @AttributeDefinition(description = "TLS from the first byte (XEP-0368 direct TLS, or HTTPS) instead of STARTTLS (or plain HTTP)")
        boolean direct_tls() default false;
    }

    private final Config config;
    private final EventLoops loops;
    private final BundleContext context;
    private volatile ListenerKind kind;
    private Channel server;
    /** While the port cannot be bound: what module:list, the started line and bin/strata say. */
    private ServiceRegistration<Problem> problem;

    @Activate
    public Listener(Config config, @Reference EventLoops loops, BundleContext context) {
        this.config = config;
        this.loops = loops;
        this.context = context;
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void addKind(ListenerKind k, Map<String, Object> props) {
        if (!config.kind().equals(props.get(ListenerKind.KIND))) return;
        kind = k;
        open();
    }

    void removeKind(ListenerKind k) {
        if (kind != k) return;
        kind = null;
        close();
    }

    private synchronized void open() {
        if (server != null) return;
        ServerBootstrap b = new ServerBootstrap().group(loops.boss(), loops.workers()).channel(loops.channelType())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(C2sTransport.LOW_WATER, C2sTransport.HIGH_WATER))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ListenerKind k = kind;
                        if (k == null) {
                            ch.close(); // its module is going away; the socket closes next
                            return;
                        }
                        k.accept(ch, config.direct_tls());
                    }
                });
        ListenerKind current = kind;
        if (current != null && current.receiveBuffer() > 0) b.childOption(ChannelOption.SO_RCVBUF, current.receiveBuffer());
        try {
            server = b.bind(config.bind(), config.port()).sync().channel();
        } catch (Exception e) {
            String text = "Cannot listen on " + config.bind() + ":" + config.port() + " for " + config.kind() + " connections: " + e.getMessage()
                    + " (set the STRATA_*_PORT variables or the strata.listener configurations)";
            LOG.error(text);
            if (problem == null) {
                try {
                    problem = context.registerService(Problem.class, () -> text, null);
                } catch (IllegalStateException stopping) {
                    // the bundle is stopping: nobody is left to tell
                }
            }
            return;
        }
        clearProblem();
        LOG.info("Listening on {}:{} for {} connections ({}) over {}", config.bind(), ((InetSocketAddress) server.localAddress()).getPort(),
                config.kind(), config.kind().equals("http") ? (config.direct_tls() ? "HTTPS" : "plain HTTP") : config.direct_tls() ? "direct TLS"
                        : config.kind().equals("component") ? "plain, XEP-0114" : config.kind().equals("socks5") ? "SOCKS5, XEP-0065" : "STARTTLS",
                loops.kind());
    }

    private void clearProblem() {
        if (problem == null) return;
        try {
            problem.unregister();
        } catch (IllegalStateException gone) {
            // unregistered with the bundle already
        }
        problem = null;
    }

    private synchronized void close() {
        clearProblem();
        if (server == null) return;
        server.close().syncUninterruptibly();
        server = null;
        LOG.info("Stopped listening on {}:{} for {} connections", config.bind(), config.port(), config.kind());
    }

    @Deactivate
    void deactivate() {
        close();
    }
}
