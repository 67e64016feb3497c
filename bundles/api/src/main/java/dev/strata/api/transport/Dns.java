package dev.strata.api.transport;

import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.CompletionStage;

import org.osgi.annotation.versioning.ProviderType;

/**
 * DNS lookups through the transport's asynchronous resolver ({@code strata.transport.dns}: the
 * name servers of {@code /etc/resolv.conf}, or those configured), with the records' TTLs as cache.
 * Answers complete on a transport thread: do not block in them.
 */
@ProviderType
public interface Dns {
    /** One SRV record (RFC 2782); a {@code target} of {@code "."} says the service is not offered at that name. */
    record Srv(int priority, int weight, int port, String target) {
        /** RFC 2782: a single record with target "." means "decidedly not available". */
        public boolean notOffered() {
            return ".".equals(target) || target.isEmpty();
        }
    }

    /**
     * The SRV records of {@code name} (such as {@code _xmpp-server._tcp.example.org}), as the server
     * gave them; an empty list when the name has none or does not exist. Fails when no name server
     * answered.
     */
    CompletionStage<List<Srv>> srv(String name);

    /** The IPv4 and IPv6 addresses of {@code host} (the hosts file first); fails when it has none. */
    CompletionStage<List<InetAddress>> addresses(String host);
}
