package dev.strata.s2s;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntUnaryOperator;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.transport.Dns;

/**
 * Where a domain's server listens (RFC 6120 §3.2, XEP-0368): an administrator's static entry
 * ({@code strata.s2s hosts = domain=host:port, ...}) first; else the domain's SRV records of
 * {@code _xmpps-server._tcp} (direct TLS) and {@code _xmpp-server._tcp} (STARTTLS), merged and
 * ordered by priority, then by weight at random (RFC 2782); a single {@code "."} target says the
 * domain offers no server service; no records at all: the domain's own addresses on 5269 (§3.2.2).
 * Its methods block (the DNS answers are waited for): called on a virtual thread.
 */
final class Resolver {
    private static final Logger LOG = LoggerFactory.getLogger(Resolver.class);
    private static final long DNS_SECONDS = 10;

    /** One place to try, in order. */
    record Target(String host, int port, boolean directTls) {
        @Override
        public String toString() {
            return host + ":" + port + (directTls ? " (direct TLS)" : "");
        }
    }

    /** The domain has no XMPP server, as its DNS says ("." SRV target), or no name at all. */
    static final class NoService extends Exception {
        NoService(String message) {
            super(message, null, false, false);
        }
    }

    private final Map<String, List<Target>> hosts;
    private final Dns dns;
    private final IntUnaryOperator random;

    Resolver(Map<String, List<Target>> hosts, Dns dns) {
        this(hosts, dns, bound -> ThreadLocalRandom.current().nextInt(bound));
    }

    Resolver(Map<String, List<Target>> hosts, Dns dns, IntUnaryOperator random) {
        this.hosts = Map.copyOf(hosts);
        this.dns = dns;
        this.random = random;
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
    List<Target> targets(String domain) throws NoService {
        List<Target> fixed = hosts.get(domain);
        if (fixed != null) return fixed;
        return lookUp(domain, "server", 5269);
    }

    /** Where clients find {@code domain} ({@code _xmpps-client}, {@code _xmpp-client}, else the domain on 5222): for {@code s2s:check}. */
    List<Target> clientTargets(String domain) throws NoService {
        return lookUp(domain, "client", 5222);
    }

    private List<Target> lookUp(String domain, String kind, int fallbackPort) throws NoService {
        // both questions at once: one wait, not two in a row
        String tlsName = "_xmpps-" + kind + "._tcp." + domain, plainName = "_xmpp-" + kind + "._tcp." + domain;
        CompletionStage<List<Dns.Srv>> tlsAnswer = dns.srv(tlsName), plainAnswer = dns.srv(plainName);
        List<Dns.Srv> tls = srv(tlsName, tlsAnswer), plain = srv(plainName, plainAnswer);
        boolean tlsOff = tls.size() == 1 && tls.getFirst().notOffered(), plainOff = plain.size() == 1 && plain.getFirst().notOffered();
        if (tlsOff && plainOff || tlsOff && plain.isEmpty() || plainOff && tls.isEmpty()) {
            throw new NoService(domain + " offers no " + (kind.equals("server") ? "server-to-server" : "client") + " service (its SRV record's target is \".\")");
        }
        List<Tagged> all = new ArrayList<>();
        if (!tlsOff) for (Dns.Srv s : tls) all.add(new Tagged(s, true));
        if (!plainOff) for (Dns.Srv s : plain) all.add(new Tagged(s, false));
        if (all.isEmpty()) return List.of(new Target(domain, fallbackPort, false)); // RFC 6120 §3.2.2: no SRV records
        return order(all);
    }

    private record Tagged(Dns.Srv srv, boolean directTls) {
    }

    /** RFC 2782: lowest priority first; within one priority, a weighted random order (weight 0 only rarely first). */
    private List<Target> order(List<Tagged> records) {
        List<Tagged> sorted = new ArrayList<>(records);
        sorted.sort(Comparator.comparingInt(t -> t.srv().priority()));
        List<Target> out = new ArrayList<>();
        int i = 0;
        while (i < sorted.size()) {
            int j = i;
            while (j < sorted.size() && sorted.get(j).srv().priority() == sorted.get(i).srv().priority()) j++;
            List<Tagged> group = new ArrayList<>(sorted.subList(i, j));
            group.sort(Comparator.comparingInt(t -> t.srv().weight())); // zero weights first, as RFC 2782 asks
            while (!group.isEmpty()) {
                int total = 0;
                for (Tagged t : group) total += t.srv().weight();
                int pick = 0;
                if (total > 0) {
                    int r = random.applyAsInt(total + 1), sum = 0;
                    for (int k = 0; k < group.size(); k++) {
                        sum += group.get(k).srv().weight();
                        if (sum >= r) {
                            pick = k;
                            break;
                        }
                    }
                }
                Tagged t = group.remove(pick);
                out.add(new Target(t.srv().target(), t.srv().port(), t.directTls()));
            }
            i = j;
        }
        return out;
    }

    private static List<Dns.Srv> srv(String name, CompletionStage<List<Dns.Srv>> answer) {
        try {
            return answer.toCompletableFuture().get(DNS_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("No DNS answer for {} ({}): trying the domain's addresses", name, e.getCause() == null ? e : e.getCause().getMessage());
            return List.of();
        }
    }

    /** The socket addresses of one target. */
    List<InetSocketAddress> addresses(Target t) throws UnknownHostException {
        List<InetAddress> found;
        try {
            found = dns.addresses(t.host()).toCompletableFuture().get(DNS_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UnknownHostException(t.host() + ": interrupted");
        } catch (ExecutionException | TimeoutException e) {
            throw new UnknownHostException(t.host() + ": " + (e.getCause() == null ? "no answer" : e.getCause().getMessage()));
        }
        List<InetSocketAddress> out = new ArrayList<>();
        for (InetAddress a : found) out.add(new InetSocketAddress(a, t.port()));
        return out;
    }
}
