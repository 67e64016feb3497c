package dev.strata.transport.internal;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.transport.Dns;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DefaultDnsRecordDecoder;
import io.netty.handler.codec.dns.DnsRawRecord;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.resolver.ResolvedAddressTypes;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.DnsNameResolverTimeoutException;
import io.netty.resolver.dns.DnsServerAddressStreamProviders;
import io.netty.resolver.dns.SequentialDnsServerAddressStreamProvider;
import io.netty.util.ReferenceCountUtil;

/**
 * The {@link Dns} of the transport: Netty's asynchronous resolver on the transport's event loops,
 * asking the name servers of {@code /etc/resolv.conf} or those of {@code servers}, with the hosts
 * file first for addresses and the records' TTLs as cache. DNSSEC validation is not done here (a
 * validating resolver on the machine, named in {@code servers}, gives it).
 */
@Component(name = "strata.transport.dns", service = Dns.class)
@Designate(ocd = DnsResolver.Config.class)
public final class DnsResolver implements Dns {
    private static final Logger LOG = LoggerFactory.getLogger(DnsResolver.class);

    @ObjectClassDefinition(id = "strata.transport.dns", name = "DNS resolution")
    public @interface Config {
        @AttributeDefinition(required = false, description = "Name servers to ask, as address or address:port, in order; empty: those of /etc/resolv.conf")
        String[] servers() default {};

        @AttributeDefinition(min = "100", max = "60000", description = "Milliseconds to wait for one name server's answer")
        int query_timeout() default 3000;
    }

    private final DnsNameResolver resolver;

    @Activate
    public DnsResolver(Config config, @Reference EventLoops loops) {
        List<InetSocketAddress> servers = new ArrayList<>();
        for (String s : config.servers() == null ? new String[0] : config.servers()) {
            if (s.isBlank()) continue;
            servers.add(parseServer(s.strip()));
        }
        resolver = new DnsNameResolverBuilder(loops.workers().next()).channelType(loops.datagramChannelType())
                .queryTimeoutMillis(config.query_timeout())
                .resolvedAddressTypes(ResolvedAddressTypes.IPV4_PREFERRED)
                .nameServerProvider(servers.isEmpty() ? DnsServerAddressStreamProviders.platformDefault()
                        : new SequentialDnsServerAddressStreamProvider(servers.toArray(InetSocketAddress[]::new)))
                .build();
        LOG.debug("DNS through {}", servers.isEmpty() ? "/etc/resolv.conf" : servers);
    }

    /** {@code 192.0.2.1}, {@code 192.0.2.1:5353}, {@code [2001:db8::1]:53}, {@code 2001:db8::1}. */
    static InetSocketAddress parseServer(String s) {
        String host = s;
        int port = 53;
        if (s.startsWith("[")) {
            int end = s.indexOf(']');
            host = s.substring(1, end);
            if (end + 1 < s.length() && s.charAt(end + 1) == ':') port = Integer.parseInt(s.substring(end + 2));
        } else if (s.indexOf(':') == s.lastIndexOf(':') && s.indexOf(':') > 0) {
            host = s.substring(0, s.indexOf(':'));
            port = Integer.parseInt(s.substring(s.indexOf(':') + 1));
        }
        if (port < 1 || port > 65535) throw new IllegalArgumentException("strata.transport.dns servers: bad port in '" + s + "'");
        // a literal address only: a name server named by name would need a name server
        java.net.InetAddress address = io.netty.util.NetUtil.createInetAddressFromIpAddressString(host);
        if (address == null) throw new IllegalArgumentException("strata.transport.dns servers: '" + s + "' is not an IP address");
        return new InetSocketAddress(address, port);
    }

    @Override
    public CompletionStage<List<Srv>> srv(String name) {
        CompletableFuture<List<Srv>> out = new CompletableFuture<>();
        resolver.resolveAll(new DefaultDnsQuestion(name, DnsRecordType.SRV)).addListener(f -> {
            if (!f.isSuccess()) {
                if (unanswered(f.cause())) out.completeExceptionally(f.cause());
                else out.complete(List.of()); // no such name, or no SRV records at it
                return;
            }
            @SuppressWarnings("unchecked")
            List<DnsRecord> records = (List<DnsRecord>) f.getNow();
            List<Srv> srvs = new ArrayList<>();
            try {
                for (DnsRecord r : records) {
                    if (r.type() == DnsRecordType.SRV && r instanceof DnsRawRecord raw) srvs.add(decode(raw.content()));
                }
                out.complete(List.copyOf(srvs));
            } catch (RuntimeException e) {
                out.completeExceptionally(e);
            } finally {
                for (DnsRecord r : records) ReferenceCountUtil.release(r);
            }
        });
        return out;
    }

    /** RFC 2782's RDATA: priority, weight, port, then the target's name (uncompressed, or a pointer into the message). */
    static Srv decode(ByteBuf content) {
        int at = content.readerIndex();
        int priority = content.getUnsignedShort(at), weight = content.getUnsignedShort(at + 2), port = content.getUnsignedShort(at + 4);
        ByteBuf name = content.duplicate();
        name.readerIndex(at + 6);
        String target = DefaultDnsRecordDecoder.decodeName(name);
        if (target.endsWith(".") && target.length() > 1) target = target.substring(0, target.length() - 1);
        return new Srv(priority, weight, port, target);
    }

    private static boolean unanswered(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) if (c instanceof DnsNameResolverTimeoutException) return true;
        return false;
    }

    @Override
    public CompletionStage<List<InetAddress>> addresses(String host) {
        CompletableFuture<List<InetAddress>> out = new CompletableFuture<>();
        resolver.resolveAll(host).addListener(f -> {
            if (f.isSuccess()) {
                @SuppressWarnings("unchecked")
                List<InetAddress> a = (List<InetAddress>) f.getNow();
                out.complete(List.copyOf(a));
            } else {
                out.completeExceptionally(f.cause());
            }
        });
        return out;
    }

    @Deactivate
    void deactivate() {
        resolver.close();
    }
}
