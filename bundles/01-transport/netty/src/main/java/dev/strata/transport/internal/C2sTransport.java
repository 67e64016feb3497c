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

import dev.strata.api.stanza.StreamError;
import dev.strata.api.transport.StreamHandlerFactory;
import dev.strata.api.xml.XmlLimits;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.timeout.IdleStateHandler;

/**
 * What client-to-server connections get from the {@link Listener}s of kind {@code c2s}: admission
 * (connections in total and per address), the TLS handshake for direct TLS, idle timeout, the
 * size, depth and attribute count of stanzas, the read rate, back-pressure and the slow-reader bound; each refusal
 * carries its stream error. The settings apply to connections accepted after a change.
 */
@Component(name = "strata.transport.c2s", service = {ListenerKind.class, C2sTransport.class}, property = ListenerKind.KIND + "=c2s")
@Designate(ocd = C2sTransport.Config.class)
public final class C2sTransport implements ListenerKind {
    private static final Logger LOG = LoggerFactory.getLogger(C2sTransport.class);
    /** Outbound bytes at which a connection stops being writable (and stops being read), and becomes writable again. */
    static final int HIGH_WATER = 64 * 1024, LOW_WATER = 32 * 1024;

    @ObjectClassDefinition(id = "strata.transport.c2s", name = "Client connections")
    public @interface Config {
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

        @AttributeDefinition(min = "1024", description = "Bytes per second read from one connection at most, after a burst of as many "
                + "(or two stanzas, if more): a faster sender is read more slowly, so a flood from a few connections cannot take "
                + "the CPU from everyone else (XML parsing is the cost). 0 is not allowed: raise it instead")
        int max_bytes_per_second() default 1 << 20;
    }

    private final StreamConnections connections = new StreamConnections("c2s");
    private final Config config;
    private final TlsManager tls;
    private final StreamHandlerFactory factory;
    private final XmlLimits limits;

    @Activate
    public C2sTransport(Config config, @Reference TlsManager tls, @Reference(target = "(strata.listener=c2s)") StreamHandlerFactory factory) {
        this.config = config;
        this.tls = tls;
        this.factory = factory;
        this.limits = new XmlLimits(config.max_stanza_size(), config.max_depth(), config.max_attributes());
    }

    @Override
    public void accept(SocketChannel ch, boolean directTls) {
        String refusal = connections.admit(ch, config.max_connections(), config.max_connections_per_ip());
        if (refusal != null) {
            refuse(ch, directTls, refusal);
            return;
        }
        streamPipeline(ch, directTls, tls, factory, limits, config.tls_handshake_timeout(), config.idle_timeout(), silenceCheckSeconds(),
                config.max_outbound_bytes(), rate());
    }

    /**
     * The pipeline of an XML stream over TCP, for every listener kind that carries one: direct TLS
     * with SNI, the silence checks (the parser is released at each; the stream closed once
     * {@code idleSeconds} passed, 0: never), flushes gathered per event-loop turn (fewer TLS records
     * and syscalls), then the connection the stream layer's handler reads from.
     */
    static void streamPipeline(SocketChannel ch, boolean directTls, TlsManager tls, StreamHandlerFactory factory, XmlLimits limits, int handshakeSeconds,
                               int idleSeconds, int silenceCheckSeconds, long maxOutboundBytes, ReadRate rate) {
        streamPipeline(ch, directTls, tls, false, factory, limits, handshakeSeconds, idleSeconds, silenceCheckSeconds, maxOutboundBytes, rate);
    }

    /** As above; {@code askCertificate}: the peer is asked for its certificate in the TLS handshake (server-to-server). */
    static void streamPipeline(SocketChannel ch, boolean directTls, TlsManager tls, boolean askCertificate, StreamHandlerFactory factory, XmlLimits limits,
                               int handshakeSeconds, int idleSeconds, int silenceCheckSeconds, long maxOutboundBytes, ReadRate rate) {
        long handshakeMillis = handshakeSeconds * 1000L;
        if (directTls) ch.pipeline().addLast("sni", tls.handler(askCertificate, handshakeMillis));
        ch.pipeline().addLast("idle", new IdleStateHandler(silenceCheckSeconds, 0, 0, TimeUnit.SECONDS));
        ch.pipeline().addLast("flush", new FlushConsolidationHandler(FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true));
        NettyConnection c = new NettyConnection(factory, tls, limits, handshakeMillis, idleSeconds * 1000L, maxOutboundBytes, rate);
        c.askCertificate = askCertificate;
        ch.pipeline().addLast("xmpp", c);
    }

    private ReadRate rate() {
        return new ReadRate(config.max_bytes_per_second(), Math.max(config.max_bytes_per_second(), 2L * config.max_stanza_size()));
    }

    /**
     * An XMPP stream over a WebSocket (RFC 7395) with this transport's stream layer and limits: one
     * stanza size, read rate, idle timeout and slow-reader bound for TCP and WebSocket alike.
     */
    WebSocketConnection webSocket(boolean overTls, String serverName, byte[] tlsExporter, boolean trusted, int pingSeconds, String seeOther) {
        return new WebSocketConnection(factory, tls, limits, config.idle_timeout() * 1000L, config.max_outbound_bytes(), rate(),
                overTls, serverName, tlsExporter, trusted, pingSeconds, seeOther);
    }

    /** Seconds between the checks of a silent connection: its parser is released, its idle timeout checked. */
    int silenceCheckSeconds() {
        int timeout = config.idle_timeout(), release = config.parser_release_after();
        return timeout > 0 ? Math.min(timeout, release) : release;
    }

    /** A stream over a transport of its own (BOSH): the stream layer takes it. */
    dev.strata.api.transport.StreamHandler attach(dev.strata.api.transport.Connection connection) {
        return factory.create(connection);
    }

    XmlLimits limits() {
        return limits;
    }

    long maxOutboundBytes() {
        return config.max_outbound_bytes();
    }

    int maxStanzaSize() {
        return config.max_stanza_size();
    }

    /** RFC 6120 §4.9.1.1: a stream header, then the error, then the end of the stream. */
    private static void refuse(SocketChannel ch, boolean directTls, String text) {
        refuse(ch, directTls, null, "client", text);
    }

    /** A refusal before any stream: the header ({@code header} null: a client stream's without 'from' and 'id'), the error, the end. */
    static void refuse(SocketChannel ch, boolean directTls, dev.strata.api.transport.StreamHeader header, String what, String text) {
        LOG.warn("Refused a {} connection from {}: {}", what, ch.remoteAddress(), text);
        if (directTls) {
            ch.close();
            return;
        }
        String bye = TcpFraming.header(header) + TcpFraming.error(StreamError.POLICY_VIOLATION, text);
        ch.writeAndFlush(ByteBufUtil.writeUtf8(ch.alloc(), bye)).addListener(ChannelFutureListener.CLOSE);
    }

    int openConnections() {
        return connections.open();
    }

    @Deactivate
    void deactivate() {
        connections.closeAll("the client transport stopped (server shutdown, or module:unload/reload transport)");
        LOG.info("Client connections closed");
    }
}
