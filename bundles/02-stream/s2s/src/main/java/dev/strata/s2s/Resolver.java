package dev.strata.s2s;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a domain's server listens (RFC 6120 §3.2): an administrator's static entry
 * ({@code strata.s2s hosts = domain=host:port, ...}) first, else the domain's own addresses on 5269
 * (§3.2.2's fallback). {@link #addresses} blocks: called on a virtual thread.
 */
final class Resolver {
    private static final Logger LOG = LoggerFactory.getLogger(Resolver.class);

    /** One place to try, in order. */
    record Target(String host, int port, boolean directTls) {
        @Override
        public String toString() {
            return host + ":" + port + (directTls ? " (direct TLS)" : "");
        }
    }

    private final Map<String, List<Target>> hosts;

    Resolver(Map<String, List<Target>> hosts) {
        this.hosts = Map.copyOf(hosts);
    }

    /** {@code domain=host:port} entries (several for one domain are tried in order; {@code tls:} before the host: direct TLS). */
    static Map<String, List<Target>> parse(String[] entries) {
        Map<String, List<Target>> m = new LinkedHashMap<>();
        for (String raw : entries == null ? new String[0] : entries) {
            String e = raw.strip();
            if (e.isEmpty()) continue;
            int eq = e.indexOf('=');
            int colon = e.lastIndexOf(':');
            if (eq <= 0 || colon <= eq) {
                LOG.error("strata.s2s hosts: '{}' is not domain=host:port; left out", e);
                continue;
            }
            String host = e.substring(eq + 1, colon).strip();
            boolean tls = host.startsWith("tls:");
            if (tls) host = host.substring(4);
            if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
            int port;
            try {
                port = Integer.parseInt(e.substring(colon + 1).strip());
            } catch (NumberFormatException x) {
                port = -1;
            }
            if (port < 1 || port > 65535 || host.isEmpty()) {
                LOG.error("strata.s2s hosts: '{}' has no valid host and port; left out", e);
                continue;
            }
            m.computeIfAbsent(e.substring(0, eq).strip().toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(new Target(host, port, tls));
        }
        return m;
    }

    /** The places to try for {@code domain}, in order (their addresses are looked up when tried, {@link #addresses}). */
    List<Target> targets(String domain) {
        return hosts.getOrDefault(domain, List.of(new Target(domain, 5269, false)));
    }

    /** The socket addresses of one target. */
    static List<InetSocketAddress> addresses(Target t) throws UnknownHostException {
        List<InetSocketAddress> out = new ArrayList<>();
        for (InetAddress a : InetAddress.getAllByName(t.host())) out.add(new InetSocketAddress(a, t.port()));
        return out;
    }
}
