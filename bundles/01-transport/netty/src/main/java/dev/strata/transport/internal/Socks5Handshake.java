package dev.strata.transport.internal;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.transport.BytestreamBroker;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;

/**
 * The server's side of a SOCKS5 negotiation as XEP-0065 uses it (RFC 1928): the greeting must offer
 * "no authentication" (else the answer offers no method and the connection closes), then one CONNECT
 * request to a domain name (the bytestream's hash), which the {@link BytestreamBroker} takes or
 * refuses. Any other command or address type gets its RFC 1928 reply code and the connection
 * closes. Once taken, the connection waits to be paired ({@link Socks5Stream}).
 */
final class Socks5Handshake extends ByteToMessageDecoder {
    private static final Logger LOG = LoggerFactory.getLogger(Socks5Handshake.class);
    static final int SUCCEEDED = 0, NOT_ALLOWED = 2, COMMAND_NOT_SUPPORTED = 7, ADDRESS_TYPE_NOT_SUPPORTED = 8;

    private final BytestreamBroker broker;
    private boolean greeted;

    Socks5Handshake(BytestreamBroker broker) {
        this.broker = broker;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (!greeted) {
            if (in.readableBytes() < 2) return;
            int version = in.getUnsignedByte(in.readerIndex()), methods = in.getUnsignedByte(in.readerIndex() + 1);
            if (version != 5) {
                drop(ctx, in, "it does not speak SOCKS5 (version byte " + version + ")", false);
                return;
            }
            if (in.readableBytes() < 2 + methods) return;
            in.skipBytes(2);
            boolean anonymous = false;
            for (int i = 0; i < methods; i++) anonymous |= in.readByte() == 0;
            if (!anonymous) {
                ctx.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {5, (byte) 0xFF})).addListener(ChannelFutureListener.CLOSE);
                drop(ctx, in, "it offers no SOCKS5 method without authentication (the proxy takes no credentials)", true);
                return;
            }
            ctx.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {5, 0}));
            greeted = true;
        }
        if (in.readableBytes() < 5) return;
        int at = in.readerIndex();
        int version = in.getUnsignedByte(at), command = in.getUnsignedByte(at + 1), type = in.getUnsignedByte(at + 3);
        if (version != 5) {
            drop(ctx, in, "its request is not SOCKS5 (version byte " + version + ")", false);
            return;
        }
        if (type != 3) {
            reply(ctx, ADDRESS_TYPE_NOT_SUPPORTED, "", 0).addListener(ChannelFutureListener.CLOSE);
            drop(ctx, in, "it asked for address type " + type + "; XEP-0065 connects to a domain name (type 3), the bytestream's hash", true);
            return;
        }
        int length = in.getUnsignedByte(at + 4);
        if (in.readableBytes() < 5 + length + 2) return;
        String host = in.toString(at + 5, length, StandardCharsets.ISO_8859_1);
        int port = in.getUnsignedShort(at + 5 + length);
        in.skipBytes(5 + length + 2);
        if (command != 1) {
            reply(ctx, COMMAND_NOT_SUPPORTED, host, port).addListener(ChannelFutureListener.CLOSE);
            drop(ctx, in, "it sent SOCKS5 command " + command + "; only CONNECT (1) is served", true);
            return;
        }
        if (ctx.pipeline().get("timeout") != null) ctx.pipeline().remove("timeout");
        Socks5Stream stream = new Socks5Stream(ctx.channel(), host);
        String refusal;
        try {
            refusal = broker.offer(stream);
        } catch (RuntimeException e) {
            LOG.warn("The bytestream broker failed on a SOCKS5 request from {}", ctx.channel().remoteAddress(), e);
            refusal = "the proxy failed: " + e;
        }
        if (refusal != null) {
            reply(ctx, NOT_ALLOWED, host, port).addListener(ChannelFutureListener.CLOSE);
            drop(ctx, in, refusal, true);
            return;
        }
        reply(ctx, SUCCEEDED, host, port);
        // what the client sent after its request (it should wait for activation) goes to the stream, which keeps it
        ctx.pipeline().replace(this, "relay", stream);
    }

    /** A SOCKS5 reply (RFC 1928 §6) echoing the requested address, as XEP-0065 §5.3.2 asks. */
    private static ChannelFuture reply(ChannelHandlerContext ctx, int code, String host, int port) {
        byte[] name = host.getBytes(StandardCharsets.ISO_8859_1);
        ByteBuf b = ctx.alloc().buffer(7 + name.length);
        b.writeByte(5).writeByte(code).writeByte(0).writeByte(3).writeByte(name.length).writeBytes(name).writeShort(port);
        return ctx.writeAndFlush(b);
    }

    /** Refuses the connection: {@code replied}: a reply closing it is on its way, else it closes now. */
    private static void drop(ChannelHandlerContext ctx, ByteBuf in, String why, boolean replied) {
        LOG.info("SOCKS5 connection from {} refused: {}", ctx.channel().remoteAddress(), why);
        in.skipBytes(in.readableBytes());
        ctx.channel().config().setAutoRead(false);
        if (!replied) ctx.close();
    }
}
