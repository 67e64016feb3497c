package dev.strata.transport.internal;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.transport.Bytestream;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

/**
 * One side of a proxied bytestream: waits until {@link #relay} pairs it (still read, so that its
 * close is seen; what it sends meanwhile is kept, up to 64 KiB, and relayed first), then writes what
 * it reads to the other side. Reading pauses while the other side has more than the high-water mark
 * waiting to be written (its reader is slower) and while this side is over its rate; the end of
 * either side ends the other once what it read has been written.
 */
final class Socks5Stream extends ChannelInboundHandlerAdapter implements Bytestream {
    private static final Logger LOG = LoggerFactory.getLogger(Socks5Stream.class);
    /** What a client may send between its request and activation (it should send nothing). */
    private static final int MAX_EARLY = 64 * 1024;

    private final Channel channel;
    private final String hash;
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private final AtomicLong relayed = new AtomicLong();
    private final List<ByteBuf> early = new ArrayList<>();
    private int earlyBytes;
    private volatile Socks5Stream peer;
    private ReadRate rate;
    // event loop only
    private boolean started, pausedByPeer, pausedByRate;

    Socks5Stream(Channel channel, String hash) {
        this.channel = channel;
        this.hash = hash;
        channel.closeFuture().addListener(f -> closed.complete(null));
    }

    @Override
    public String hash() {
        return hash;
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return (InetSocketAddress) channel.remoteAddress();
    }

    @Override
    public void relay(Bytestream other, long bytesPerSecond) {
        if (!(other instanceof Socks5Stream o) || o == this) throw new IllegalArgumentException("Not another connection of this proxy: " + other);
        synchronized (Socks5Stream.class) {
            if (peer != null || o.peer != null) throw new IllegalStateException("Already relaying");
            if (!channel.isActive() || !o.channel.isActive()) throw new IllegalStateException("A side of the bytestream has closed");
            peer = o;
            o.peer = this;
        }
        start(bytesPerSecond);
        o.start(bytesPerSecond);
    }

    private void start(long bytesPerSecond) {
        channel.eventLoop().execute(() -> {
            started = true;
            if (bytesPerSecond > 0) rate = new ReadRate(bytesPerSecond, Math.max(bytesPerSecond / 4, 16 * 1024));
            for (ByteBuf b : early) forward(b);
            early.clear();
            peer.channel.flush();
            applyAutoRead();
        });
    }

    boolean relaying() {
        return peer != null;
    }

    @Override
    public long bytesRelayed() {
        return relayed.get();
    }

    @Override
    public void close() {
        channel.close();
    }

    @Override
    public CompletionStage<Void> closed() {
        return closed.minimalCompletionStage();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf b)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (!started) {
            earlyBytes += b.readableBytes();
            early.add(b);
            if (earlyBytes > MAX_EARLY && peer == null) { // paired already: start() is next on this loop
                LOG.info("SOCKS5 connection from {} sent {} bytes before its bytestream was activated; closed", channel.remoteAddress(), earlyBytes);
                channel.close();
            }
            return;
        }
        forward(b);
    }

    private void forward(ByteBuf b) {
        int n = b.readableBytes();
        relayed.addAndGet(n);
        Socks5Stream p = peer;
        p.channel.write(b);
        if (!p.channel.isWritable()) {
            pausedByPeer = true;
            applyAutoRead();
        }
        if (rate != null) {
            long wait = rate.take(n, System.nanoTime());
            if (wait > 0) {
                pausedByRate = true;
                applyAutoRead();
                channel.eventLoop().schedule(() -> {
                    pausedByRate = false;
                    applyAutoRead();
                }, wait, TimeUnit.NANOSECONDS);
            }
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        Socks5Stream p = peer;
        if (p != null) p.channel.flush();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        // this side's reader caught up (or fell behind): the other side reads accordingly
        Socks5Stream p = peer;
        if (p == null) return;
        boolean writable = channel.isWritable();
        p.channel.eventLoop().execute(() -> {
            p.pausedByPeer = !writable;
            p.applyAutoRead();
        });
    }

    private void applyAutoRead() {
        channel.config().setAutoRead(peer != null && !pausedByPeer && !pausedByRate);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        for (ByteBuf b : early) b.release();
        early.clear();
        Socks5Stream p = peer;
        // the other side gets what this side sent, then its end
        if (p != null) p.channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("SOCKS5 connection from {}: {}", channel.remoteAddress(), cause.toString());
        channel.close();
    }

    @Override
    public String toString() {
        return "SOCKS5 " + hash + " from " + channel.remoteAddress();
    }
}
