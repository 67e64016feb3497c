package dev.strata.transport.internal;

import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import javax.net.ssl.SSLSession;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.stanza.StreamError;
import dev.strata.api.transport.Connection;
import dev.strata.api.transport.StreamHeader;
import dev.strata.api.transport.StreamHandler;
import dev.strata.api.transport.StreamHandlerFactory;
import dev.strata.api.xml.Element;
import dev.strata.api.xml.XmlEvent;
import dev.strata.api.xml.XmlException;
import dev.strata.api.xml.XmlLimits;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.compression.ZlibCodecFactory;
import io.netty.handler.codec.compression.ZlibWrapper;
import io.netty.handler.ssl.SniCompletionEvent;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleStateEvent;

/**
 * The last handler of a client pipeline: frames the byte stream into XML events with the
 * non-blocking {@link XmlStreamReader} and hands them to the stream layer's handler; the
 * {@link Connection} the stream layer writes to. A TCP stream as it is; {@link WebSocketConnection}
 * changes the framing (RFC 7395) and keeps the rest: limits, back-pressure, idle handling.
 */
class NettyConnection extends ChannelInboundHandlerAdapter implements Connection {
    private static final Logger LOG = LoggerFactory.getLogger(NettyConnection.class);
    private static final int MAX_INFLATED_CHUNK = 1 << 20;
    /** How long a closed stream waits for the peer to terminate the TCP connection. */
    private static final long LINGER_MILLIS = 3_000;
    /** The idle events come on the event loop's timer, a little early or late. */
    private static final long IDLE_SLACK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final StreamHandlerFactory factory;
    private final TlsManager tls;
    final XmlStreamReader reader;
    Channel channel;
    StreamHandler handler;
    volatile boolean secure;
    private volatile boolean compressed;
    volatile String serverName;
    private Runnable tlsDone;
    /** The RFC 9266 binding, taken when the handshake completed (TLS 1.3 only). */
    volatile byte[] tlsExporter;
    boolean broken;
    private boolean gone;
    /** Why the connection ended, as the stream layer hears it when it closes; set on the event loop, or by the transport stopping. */
    volatile String reason = "closed by the client";

    private final long handshakeMillis;
    private final long idleTimeoutNanos;
    private final long maxOutboundBytes;
    long lastRead = System.nanoTime();
    /** Reading pauses while the stream layer's queue is long, while the client does not read what we write, or while it sends faster than its rate. */
    private volatile boolean pausedByStream, pausedByPeer, pausedByRate;
    private final ReadRate rate;
    volatile boolean overloaded;
    /** Whether our stream header went out since the client last opened a stream. */
    volatile boolean headerSent;
    /** Whether this server opened the connection (server-to-server, through the Dialer): it writes first, and starts TLS as the client. */
    boolean dialled;
    /** Whether the peer is asked for its certificate when TLS starts (another server: {@link TlsManager#peers}). */
    boolean askCertificate;
    /** When this server last wrote, on a connection it dialled (where it is the one that talks: its silence is both sides'). */
    private volatile long lastWrite = System.nanoTime();

    NettyConnection(StreamHandlerFactory factory, TlsManager tls, XmlLimits limits, long handshakeMillis, long idleTimeoutMillis,
                    long maxOutboundBytes, ReadRate rate) {
        this.factory = factory;
        this.rate = rate;
        this.maxOutboundBytes = maxOutboundBytes;
        this.handshakeMillis = handshakeMillis;
        this.idleTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(idleTimeoutMillis);
        this.tls = tls;
        this.reader = new XmlStreamReader(limits);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        start(ctx);
        super.channelActive(ctx);
    }

    /** The stream layer takes the connection. */
    final void start(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        handler = factory.create(this);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        read(ctx, (ByteBuf) msg, this::dispatch);
    }

    /** Parses {@code buf} (and releases it) under the read rate; events go to {@code sink}, a failure to the stream layer. */
    final void read(ChannelHandlerContext ctx, ByteBuf buf, Consumer<XmlEvent> sink) {
        lastRead = System.nanoTime();
        long waitNanos = rate.take(buf.readableBytes(), lastRead);
        if (waitNanos > 0 && !pausedByRate) { // over its rate: what is read is handled, the next read waits
            pausedByRate = true;
            applyAutoRead();
            ctx.executor().schedule(() -> {
                pausedByRate = false;
                applyAutoRead();
            }, waitNanos, TimeUnit.NANOSECONDS);
        }
        try {
            if (broken) return;
            reader.feed(buf.nioBuffer(), sink);
            afterRead();
        } catch (XmlException e) {
            broken = true;
            handler.failed(e);
        } finally {
            buf.release();
        }
    }

    /** Checks made once a read's events went out; a WebSocket message must hold whole elements. */
    void afterRead() throws XmlException {
    }

    private void dispatch(XmlEvent event) {
        switch (event) {
            case XmlEvent.StreamOpen open -> {
                // a new stream: ours opens again (and before any error on it, RFC 6120 §4.9.1.1); on a connection we dialled ours went first
                if (!dialled) headerSent = false;
                handler.opened(open);
            }
            case XmlEvent.TopLevel(Element element) -> handler.element(element);
            case XmlEvent.StreamClose close -> handler.closed();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        switch (evt) {
            case IdleStateEvent idle -> {
                // an idle session keeps no parser buffers (see XmlStreamReader.hibernate); the stream
                // closes once nothing came for idle_timeout (checked at each of these events)
                reader.hibernate();
                long silent = System.nanoTime() - (dialled ? Math.max(lastRead, lastWrite) : lastRead);
                if (idleTimeoutNanos > 0 && silent >= idleTimeoutNanos - IDLE_SLACK_NANOS) handler.idle();
                else silent(silent);
            }
            case SniCompletionEvent sni -> serverName = sni.hostname();
            case SslHandshakeCompletionEvent done when done.isSuccess() -> {
                SslHandler ssl = ctx.pipeline().get(SslHandler.class);
                if (ssl != null) {
                    tlsExporter = tls.exporters().take(ssl.engine()).orElse(null);
                    if (!dialled) tls.handshakeDone(ssl.engine());
                }
                secure = true;
                Runnable r = tlsDone;
                tlsDone = null;
                if (r != null) r.run();
            }
            case SslHandshakeCompletionEvent failed -> {
                reason = "TLS handshake failed: " + failed.cause().getMessage();
                ctx.close();
            }
            default -> super.userEventTriggered(ctx, evt);
        }
    }

    /** The client has said nothing for {@code nanos} (checked every few seconds of silence); a WebSocket pings it. */
    void silent(long nanos) {
    }

    /**
     * Back-pressure on a client that does not read: above the high water mark nothing more is read
     * from it (it cannot make us queue answers to requests it keeps sending); reading resumes at the
     * low water mark.
     */
    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        pausedByPeer = !ctx.channel().isWritable();
        applyAutoRead();
        super.channelWritabilityChanged(ctx);
    }

    private void applyAutoRead() {
        if (!channel.eventLoop().inEventLoop()) {
            channel.eventLoop().execute(this::applyAutoRead);
            return;
        }
        channel.config().setAutoRead(!pausedByStream && !pausedByPeer && !pausedByRate);
    }

    /**
     * The policy for a slow reader: once more than {@code max.outbound.bytes} wait to be written,
     * the stream ends with {@code policy-violation} (the session ends, its presence goes
     * unavailable) rather than growing the heap with what a client never reads.
     */
    private void checkOutbound() {
        if (channel.isWritable() || overloaded) return;
        long waiting = channel.bytesBeforeWritable() + C2sTransport.LOW_WATER;
        if (waiting <= maxOutboundBytes) return;
        overloaded = true;
        channel.eventLoop().execute(() -> {
            reason = "the client does not read: " + waiting + " bytes wait to be written (max.outbound.bytes " + maxOutboundBytes + ")";
            LOG.warn("Closing the stream of {}: {}", channel.remoteAddress(), reason);
            broken = true;
            channel.writeAndFlush(frame(ByteBufUtil.writeUtf8(channel.alloc(),
                    errorText(StreamError.POLICY_VIOLATION, "Too much undelivered data: the client does not read"))));
            channel.close();
        });
    }

    /** A stream error and the end of the stream, as this kind of connection frames them. */
    String errorText(StreamError error, String text) {
        return TcpFraming.error(error, text);
    }

    /** The server closes this connection, for this reason (when its stream layer has not said another). */
    void closedBecause(String why) {
        reason = why;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        SslHandler ssl = secure ? null : ctx.pipeline().get(SslHandler.class);
        if (ssl != null) tls.exporters().discard(ssl.engine());
        if (!gone && handler != null) {
            gone = true;
            handler.disconnected(reason);
        }
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        reason = cause.getClass().getSimpleName() + ": " + cause.getMessage();
        LOG.debug("Connection from {} failed: {}", channel == null ? "?" : channel.remoteAddress(), reason);
        ctx.close();
    }

    // --- Connection ---------------------------------------------------------------------------

    @Override
    public InetSocketAddress remoteAddress() {
        return (InetSocketAddress) channel.remoteAddress();
    }

    @Override
    public boolean isSecure() {
        return secure;
    }

    private Optional<SSLSession> session() {
        SslHandler ssl = channel.pipeline().get(SslHandler.class);
        return secure && ssl != null ? Optional.of(ssl.engine().getSession()) : Optional.empty();
    }

    @Override
    public Optional<String> tlsProtocol() {
        return session().map(SSLSession::getProtocol);
    }

    @Override
    public Optional<String> serverName() {
        return Optional.ofNullable(serverName);
    }

    /** What goes to the channel for these bytes: the bytes themselves on TCP, a text message on a WebSocket. */
    Object frame(ByteBuf bytes) {
        return bytes;
    }

    @Override
    public void write(String text) {
        if (overloaded) return;
        if (dialled) lastWrite = System.nanoTime();
        channel.writeAndFlush(frame(ByteBufUtil.writeUtf8(channel.alloc(), text)));
        checkOutbound();
    }

    @Override
    public void write(Element element, String contextNamespace) {
        if (overloaded) return;
        if (dialled) lastWrite = System.nanoTime();
        ByteBuf buf = channel.alloc().buffer(256);
        ByteBufSink.write(element, buf, contextNamespace);
        channel.writeAndFlush(frame(buf));
        checkOutbound();
    }

    /** Writes without flushing (a caller flushes once for several). */
    final void writeUnflushed(Element element, String contextNamespace) {
        ByteBuf buf = channel.alloc().buffer(256);
        ByteBufSink.write(element, buf, contextNamespace);
        channel.write(frame(buf));
    }

    /** Flushes and applies the slow-reader policy. */
    final void flushChecked() {
        channel.flush();
        checkOutbound();
    }

    @Override
    public void write(List<Element> elements, String contextNamespace) {
        if (overloaded || elements.isEmpty()) return;
        ByteBuf buf = channel.alloc().buffer(256 * elements.size());
        for (Element e : elements) ByteBufSink.write(e, buf, contextNamespace);
        channel.writeAndFlush(buf); // one flush: one TLS record run, one write to the socket
        checkOutbound();
    }

    @Override
    public void startTls(Element proceed, Runnable done) {
        // the handler goes in after <proceed/> left in the clear, before the client's ClientHello is read
        writeThenReframe(proceed, () -> {
            tlsDone = done;
            channel.pipeline().addFirst("sni", tls.handler(askCertificate, handshakeMillis));
        });
    }

    @Override
    public void startTlsAsClient(String ourDomain, String serverName, Runnable done) {
        if (!dialled) throw new UnsupportedOperationException("Only a connection this server dialled starts TLS as a client");
        channel.eventLoop().execute(() -> {
            tlsDone = done;
            SslHandler ssl = tls.client(ourDomain).newHandler(channel.alloc(), serverName, ((InetSocketAddress) channel.remoteAddress()).getPort());
            ssl.setHandshakeTimeoutMillis(handshakeMillis);
            reader.reset();
            channel.pipeline().addFirst("tls", ssl); // a client's handler starts the handshake as it is added
        });
    }

    @Override
    public List<X509Certificate> peerCertificates() {
        return session().map(s -> {
            try {
                return java.util.Arrays.stream(s.getPeerCertificates()).filter(X509Certificate.class::isInstance).map(X509Certificate.class::cast).toList();
            } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
                return List.<X509Certificate>of();
            }
        }).orElse(List.of());
    }

    @Override
    public void startCompression(Element compressedElement, Runnable done) {
        // after TLS (if any), before the XML framing; a decompressed chunk is bounded so a zip bomb cannot balloon
        writeThenReframe(compressedElement, () -> {
            channel.pipeline().addBefore("xmpp", "inflate", ZlibCodecFactory.newZlibDecoder(ZlibWrapper.ZLIB, MAX_INFLATED_CHUNK));
            channel.pipeline().addBefore("xmpp", "deflate", ZlibCodecFactory.newZlibEncoder(ZlibWrapper.ZLIB));
            compressed = true;
            done.run();
        });
    }

    /**
     * Writes {@code element}; once it left, changes the pipeline with {@code reframe} and starts a
     * new stream document on the parser (the client's next bytes open a new stream).
     */
    private void writeThenReframe(Element element, Runnable reframe) {
        ByteBuf buf = channel.alloc().buffer(64);
        ByteBufSink.write(element, buf, "");
        channel.eventLoop().execute(() -> channel.writeAndFlush(buf).addListener(f -> {
            if (!f.isSuccess()) {
                channel.close();
                return;
            }
            reframe.run();
            reader.reset();
        }));
    }

    @Override
    public boolean isCompressed() {
        return compressed;
    }

    @Override
    public void openStream(StreamHeader header, List<Element> features) {
        headerSent = true;
        write(TcpFraming.header(header) + (features.isEmpty() ? "" : TcpFraming.features(features)));
    }

    @Override
    public void streamError(StreamHeader header, StreamError error, String text) {
        write(unsentHeader(header) + TcpFraming.error(error, text));
        closeGracefully();
    }

    @Override
    public void closeStream(StreamHeader header) {
        write(unsentHeader(header) + TcpFraming.CLOSE);
        closeGracefully();
    }

    /** Our stream header unless it went out on this stream already: one write with what follows it (one TLS record, one syscall). */
    private String unsentHeader(StreamHeader header) {
        if (headerSent) return "";
        headerSent = true;
        return TcpFraming.header(header);
    }

    @Override
    public void resetStream() {
        channel.eventLoop().execute(reader::reset);
    }

    @Override
    public Optional<byte[]> channelBinding(String type) {
        return session().flatMap(s -> switch (type) {
            case "tls-server-end-point" -> endPoint(s);
            case "tls-exporter" -> Optional.ofNullable(tlsExporter).map(byte[]::clone);
            default -> Optional.empty();
        });
    }

    private static Optional<byte[]> endPoint(SSLSession s) {
        Certificate[] local = s.getLocalCertificates();
        if (local == null || local.length == 0 || !(local[0] instanceof X509Certificate cert)) return Optional.empty();
        try {
            return Optional.of(Certificates.endPointHash(cert));
        } catch (GeneralSecurityException e) {
            return Optional.empty();
        }
    }

    @Override
    public void pauseReading() {
        pausedByStream = true;
        applyAutoRead();
    }

    @Override
    public void resumeReading() {
        pausedByStream = false;
        applyAutoRead();
    }

    @Override
    public void close() {
        channel.eventLoop().execute(() -> channel.flush().close());
    }

    @Override
    public void closeGracefully() {
        channel.eventLoop().execute(() -> {
            broken = true;
            channel.flush();
            channel.eventLoop().schedule(() -> channel.close(), LINGER_MILLIS, TimeUnit.MILLISECONDS);
        });
    }
}
