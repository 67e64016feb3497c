package dev.strata.transport.internal;

import java.net.InetAddress;
import java.util.concurrent.TimeUnit;

import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.GlobalEventExecutor;

/** The open XML stream connections of one listener kind: admitted within bounds, counted, and closed together when the kind stops. */
final class StreamConnections {
    private final ChannelGroup channels;
    private final Admission admission = new Admission();

    StreamConnections(String kind) {
        this.channels = new DefaultChannelGroup(kind, GlobalEventExecutor.INSTANCE);
    }

    /** Takes {@code ch} within the bounds (then null: it is counted until it closes), or says why not. */
    String admit(SocketChannel ch, int max, int maxPerIp) {
        InetAddress ip = ch.remoteAddress().getAddress();
        String refusal = admission.admit(ip, max, maxPerIp);
        if (refusal != null) return refusal;
        channels.add(ch);
        ch.closeFuture().addListener(f -> admission.release(ip));
        return null;
    }

    /** Counts in a connection this server opened (it is closed with the others). */
    void track(io.netty.channel.Channel ch) {
        channels.add(ch);
    }

    /** Closes the connections {@code which} picks, now. */
    void closeIf(java.util.function.Predicate<io.netty.channel.Channel> which) {
        for (var ch : channels) if (which.test(ch)) ch.close();
    }

    int open() {
        return admission.open();
    }

    /** Ends every stream (each says {@code why}), then closes what is left within 5 s. */
    void closeAll(String why) {
        for (var ch : channels) {
            if (ch.pipeline().get("xmpp") instanceof NettyConnection c) c.closedBecause(why);
        }
        channels.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
