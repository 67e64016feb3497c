package dev.strata.transport.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;

import org.junit.jupiter.api.Test;

import dev.strata.api.transport.Dns;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/** SRV record data as a name server sends it, and the name server addresses of the configuration (the resolver itself is driven against dnsmasq in S2sIT). */
class DnsResolverTest {
    @Test
    void srvDataIsDecodedWithPlainAndCompressedTargets() {
        ByteBuf message = Unpooled.buffer();
        // a name earlier in the message ("example.test." at offset 0), as a pointer target
        message.writeByte(7).writeBytes("example".getBytes()).writeByte(4).writeBytes("test".getBytes()).writeByte(0);
        int plainAt = message.writerIndex();
        message.writeShort(10).writeShort(60).writeShort(5269).writeByte(4).writeBytes("xmpp".getBytes()).writeByte(7).writeBytes("example".getBytes())
                .writeByte(4).writeBytes("test".getBytes()).writeByte(0);
        int compressedAt = message.writerIndex();
        message.writeShort(20).writeShort(0).writeShort(5270).writeByte(3).writeBytes("tls".getBytes()).writeShort(0xC000); // tls + pointer to offset 0
        int end = message.writerIndex();

        assertThat(DnsResolver.decode(message.duplicate().setIndex(plainAt, compressedAt))).isEqualTo(new Dns.Srv(10, 60, 5269, "xmpp.example.test"));
        assertThat(DnsResolver.decode(message.duplicate().setIndex(compressedAt, end))).isEqualTo(new Dns.Srv(20, 0, 5270, "tls.example.test"));
        ByteBuf dot = Unpooled.buffer().writeShort(0).writeShort(0).writeShort(0).writeByte(0);
        assertThat(DnsResolver.decode(dot).notOffered()).isTrue();
    }

    @Test
    void nameServersAreLiteralAddressesWithOptionalPorts() {
        assertThat(DnsResolver.parseServer("127.0.0.53")).isEqualTo(new InetSocketAddress("127.0.0.53", 53));
        assertThat(DnsResolver.parseServer("127.0.0.53:5353")).isEqualTo(new InetSocketAddress("127.0.0.53", 5353));
        assertThat(DnsResolver.parseServer("[::1]:5353")).isEqualTo(new InetSocketAddress("::1", 5353));
        assertThat(DnsResolver.parseServer("::1").getPort()).isEqualTo(53);
        assertThatThrownBy(() -> DnsResolver.parseServer("127.0.0.1:0")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DnsResolver.parseServer("ns.example.test")).hasMessageContaining("is not an IP address");
    }
}
