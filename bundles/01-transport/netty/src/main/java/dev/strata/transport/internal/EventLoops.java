package dev.strata.transport.internal;

import java.util.concurrent.TimeUnit;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;

/** The event loops every listener shares: native epoll where available, NIO otherwise. */
@Component(service = EventLoops.class)
public final class EventLoops {
    private static final Logger LOG = LoggerFactory.getLogger(EventLoops.class);

    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final Class<? extends ServerChannel> channelType;

    @Activate
    public EventLoops() {
        if (Epoll.isAvailable()) {
            boss = new EpollEventLoopGroup(1);
            workers = new EpollEventLoopGroup();
            channelType = EpollServerSocketChannel.class;
        } else {
            boss = new NioEventLoopGroup(1);
            workers = new NioEventLoopGroup();
            channelType = NioServerSocketChannel.class;
            LOG.info("Native epoll unavailable ({}); using NIO", Epoll.unavailabilityCause() == null ? "not Linux" : Epoll.unavailabilityCause().getMessage());
        }
    }

    EventLoopGroup boss() {
        return boss;
    }

    EventLoopGroup workers() {
        return workers;
    }

    Class<? extends ServerChannel> channelType() {
        return channelType;
    }

    /** The channel type of connections this server opens (server-to-server). */
    Class<? extends io.netty.channel.socket.SocketChannel> clientChannelType() {
        return channelType == EpollServerSocketChannel.class ? io.netty.channel.epoll.EpollSocketChannel.class
                : io.netty.channel.socket.nio.NioSocketChannel.class;
    }

    /** The channel type of UDP sockets (DNS queries). */
    Class<? extends io.netty.channel.socket.DatagramChannel> datagramChannelType() {
        return channelType == EpollServerSocketChannel.class ? io.netty.channel.epoll.EpollDatagramChannel.class
                : io.netty.channel.socket.nio.NioDatagramChannel.class;
    }

    String kind() {
        return channelType == EpollServerSocketChannel.class ? "epoll" : "nio";
    }

    /** No quiet period: a module reload or a restart must not wait 2 s per group (spike notes). */
    @Deactivate
    void shutdown() {
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
