package dev.strata.transport.internal;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.strata.api.stanza.StreamError;
import dev.strata.api.transport.StreamHandlerFactory;
import dev.strata.api.transport.StreamHeader;
import dev.strata.api.xml.Element;
import dev.strata.api.xml.XmlEvent;
import dev.strata.api.xml.XmlException;
import dev.strata.api.xml.XmlException.Condition;
import dev.strata.api.xml.XmlLimits;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;

/**
 * An XMPP stream over a WebSocket (RFC 7395): the same stream layer, limits, back-pressure and idle
 * handling as TCP ({@link NettyConnection}), with the WebSocket's framing. Each text message holds
 * one whole element (§3.3.3); {@code <open/>} and {@code <close/>} in the framing namespace take the
 * place of the stream's root; there is no STARTTLS and no XEP-0138 compression (§3.4: both belong to
 * the WebSocket and HTTP layers). The messages are parsed by one {@link XmlStreamReader} in a stream
 * root of our own, so a parsed element is exactly what a TCP stream would give the stream layer.
 */
final class WebSocketConnection extends NettyConnection {
    private static final byte[] ROOT = ("<stream:stream xmlns='jabber:client' xmlns:stream='" + TcpFraming.STREAMS_NS + "'>").getBytes(UTF_8);
    /** How long our close frame waits for the client's before the socket closes anyway. */
    private static final long CLOSE_WAIT_MILLIS = 3_000;

    private final boolean trusted;
    private final long pingNanos;
    private final String seeOther;
    /** Whether the client sent {@code <open/>} on this WebSocket. */
    private boolean opened;
    private boolean pinged;

    /**
     * @param tls whether the WebSocket runs over TLS (wss://)
     * @param trusted whether the stream counts as encrypted without TLS (a loopback peer, by policy)
     * @param pingSeconds seconds of silence after which the client is pinged; 0: never
     * @param seeOther where to send clients instead (§3.6.1), or null
     */
    WebSocketConnection(StreamHandlerFactory factory, TlsManager tlsManager, XmlLimits limits, long idleTimeoutMillis, long maxOutboundBytes,
                        ReadRate rate, boolean tls, String serverName, byte[] tlsExporter, boolean trusted, int pingSeconds, String seeOther) {
        super(factory, tlsManager, limits, 0, idleTimeoutMillis, maxOutboundBytes, rate);
        this.secure = tls;
        this.serverName = serverName;
        this.tlsExporter = tlsExporter;
        this.trusted = trusted;
        this.pingNanos = TimeUnit.SECONDS.toNanos(pingSeconds);
        this.seeOther = seeOther == null || seeOther.isBlank() ? null : seeOther.strip();
        try {
            reader.feed(ROOT, 0, ROOT.length, e -> {
            });
        } catch (XmlException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        start(ctx); // added once the WebSocket handshake is done: the channel is active already
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        pinged = false;
        switch ((WebSocketFrame) msg) {
            case TextWebSocketFrame text -> read(ctx, text.content(), this::dispatch);
            case PingWebSocketFrame ping -> {
                lastRead = System.nanoTime();
                ctx.writeAndFlush(new PongWebSocketFrame(ping.content()));
            }
            case PongWebSocketFrame pong -> {
                lastRead = System.nanoTime();
                pong.release();
            }
            case CloseWebSocketFrame close -> {
                reason = "the client closed the WebSocket (" + close.statusCode() + (close.reasonText().isEmpty() ? "" : " " + close.reasonText()) + ")";
                close.release();
                broken = true;
                ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.NORMAL_CLOSURE)).addListener(ChannelFutureListener.CLOSE);
            }
            case BinaryWebSocketFrame binary -> {
                binary.release();
                refuse(ctx, WebSocketCloseStatus.INVALID_MESSAGE_TYPE, "XMPP over WebSocket uses text messages only (RFC 7395 §3.2)");
            }
            case WebSocketFrame other -> {
                other.release();
                refuse(ctx, WebSocketCloseStatus.PROTOCOL_ERROR, "Unexpected WebSocket frame " + other.getClass().getSimpleName());
            }
        }
    }

    /** A stream error where a stream exists (the stream layer closes the WebSocket after it), else the close status alone. */
    private void refuse(ChannelHandlerContext ctx, WebSocketCloseStatus status, String text) {
        if (broken) return;
        broken = true;
        reason = text;
        if (opened) {
            handler.failed(new XmlException(Condition.NOT_WELL_FORMED, text));
        } else {
            ctx.writeAndFlush(new CloseWebSocketFrame(status.code(), text)).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    void afterRead() throws XmlException {
        if (!reader.betweenElements()) {
            throw new XmlException(Condition.NOT_WELL_FORMED, "A WebSocket message must hold one whole XML element (RFC 7395 §3.3.3)");
        }
    }

    private void dispatch(XmlEvent event) {
        if (broken) return;
        switch (event) {
            case XmlEvent.TopLevel(Element e) when e.is("open", WebSocketFraming.NS) -> open(e);
            case XmlEvent.TopLevel(Element e) when e.is("close", WebSocketFraming.NS) -> {
                if (opened) handler.closed();
                else closeGracefully();
            }
            case XmlEvent.TopLevel(Element e) -> {
                if (opened) {
                    handler.element(e);
                } else {
                    broken = true;
                    handler.failed(new XmlException(Condition.NOT_WELL_FORMED,
                            "The first message on an XMPP WebSocket is <open xmlns='" + WebSocketFraming.NS + "'/> (RFC 7395 §3.3.2), not <" + e.name() + ">"));
                }
            }
            case XmlEvent.StreamOpen ignored -> {
            }
            case XmlEvent.StreamClose ignored -> {
                broken = true;
                handler.failed(new XmlException(Condition.NOT_WELL_FORMED, "A WebSocket message cannot close the stream's root: send <close xmlns='"
                        + WebSocketFraming.NS + "'/> (RFC 7395 §3.6)"));
            }
        }
    }

    /** §3.3.2: {@code <open/>} stands for the stream header; the stream layer checks it as it would {@code <stream:stream>}. */
    private void open(Element e) {
        if (seeOther != null) {
            broken = true;
            write(WebSocketFraming.seeOther(seeOther));
            closeGracefully();
            return;
        }
        opened = true;
        headerSent = false;
        handler.opened(TcpFraming.clientStreamOpen(e.attributes()));
    }

    @Override
    void silent(long nanos) {
        if (pingNanos > 0 && nanos >= pingNanos && !pinged && !broken) {
            pinged = true; // once per silence: a pong counts as reading, so a live client never reaches the idle timeout
            channel.writeAndFlush(new PingWebSocketFrame(Unpooled.EMPTY_BUFFER));
        }
    }

    // --- Connection ---------------------------------------------------------------------------

    @Override
    public String kind() {
        return "websocket";
    }

    @Override
    public boolean byteStream() {
        return false;
    }

    @Override
    public boolean isSecure() {
        return secure || trusted;
    }

    @Override
    Object frame(ByteBuf bytes) {
        return new TextWebSocketFrame(bytes);
    }

    @Override
    String errorText(StreamError error, String text) {
        return WebSocketFraming.error(error, text);
    }

    @Override
    public void write(Element element, String contextNamespace) {
        super.write(element, ""); // a message is a document of its own: every element declares its namespace
    }

    @Override
    public void write(List<Element> elements, String contextNamespace) {
        if (overloaded || elements.isEmpty()) return;
        for (Element e : elements) writeUnflushed(e, "");
        flushChecked();
    }

    /** Each piece of framing is a message of its own. */
    private void writeAll(String... messages) {
        if (overloaded) return;
        for (String m : messages) channel.write(frame(ByteBufUtil.writeUtf8(channel.alloc(), m)));
        flushChecked();
    }

    @Override
    public void openStream(StreamHeader header, List<Element> features) {
        headerSent = true;
        if (features.isEmpty()) writeAll(WebSocketFraming.open(header));
        else writeAll(WebSocketFraming.open(header), WebSocketFraming.features(features));
    }

    @Override
    public void streamError(StreamHeader header, StreamError error, String text) {
        if (headerSent) writeAll(WebSocketFraming.error(error, text), WebSocketFraming.CLOSE);
        else writeAll(WebSocketFraming.open(header), WebSocketFraming.error(error, text), WebSocketFraming.CLOSE);
        headerSent = true;
        closeGracefully();
    }

    @Override
    public void closeStream(StreamHeader header) {
        if (headerSent) writeAll(WebSocketFraming.CLOSE);
        else writeAll(WebSocketFraming.open(header), WebSocketFraming.CLOSE);
        headerSent = true;
        closeGracefully();
    }

    @Override
    public void startTls(Element proceed, Runnable done) {
        throw new UnsupportedOperationException("No STARTTLS over WebSocket (RFC 7395 §3.4)");
    }

    @Override
    public void startCompression(Element compressed, Runnable done) {
        throw new UnsupportedOperationException("No XEP-0138 compression over WebSocket (RFC 7395 §3.4)");
    }

    @Override
    public void resetStream() {
        // a restart is a new <open/> message: nothing is pending between messages
    }

    /** After our {@code <close/>}: the WebSocket closing handshake (RFC 6455 §7), the socket closed if the client does not answer. */
    @Override
    public void closeGracefully() {
        channel.eventLoop().execute(() -> {
            broken = true;
            channel.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.NORMAL_CLOSURE));
            channel.eventLoop().schedule(() -> channel.close(), CLOSE_WAIT_MILLIS, TimeUnit.MILLISECONDS);
        });
    }
}
