package dev.strata.s2s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.junit.jupiter.api.Test;

import dev.strata.api.transport.Dns;

/** RFC 6120 §3.2 and XEP-0368 resolution order over a DNS answering from a map (the real resolver is driven against dnsmasq in S2sIT). */
class ResolverTest {
    private final Map<String, List<Dns.Srv>> records = new HashMap<>();
    private final List<String> asked = new ArrayList<>();
    private final Dns dns = new Dns() {
        @Override
        public CompletionStage<List<Srv>> srv(String name) {
            asked.add(name);
            if (name.contains("timeout")) return CompletableFuture.failedFuture(new java.io.IOException("no answer"));
            return CompletableFuture.completedFuture(records.getOrDefault(name, List.of()));
        }

        @Override
        public CompletionStage<List<InetAddress>> addresses(String host) {
            try {
                return CompletableFuture.completedFuture(List.of(InetAddress.getByAddress(host, new byte[] {127, 0, 0, 9})));
            } catch (UnknownHostException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
    };

    @Test
    void staticHostsComeFirstAndAreParsedWithDirectTlsAndRefusals() throws Exception {
        var m = Resolver.parse(new String[] {"b.test=127.0.0.1:5269", "b.test=tls:[::1]:5270", "c.test=host", "d.test=h:99999", " "});
        assertThat(m).containsOnlyKeys("b.test");
        assertThat(m.get("b.test")).containsExactly(new Resolver.Target("127.0.0.1", 5269, false), new Resolver.Target("::1", 5270, true));
        records.put("_xmpp-server._tcp.b.test", List.of(new Dns.Srv(0, 0, 5269, "elsewhere.test")));
        assertThat(new Resolver(m, dns).targets("b.test")).hasSize(2);
        assertThat(asked).isEmpty();
    }

    @Test
    void srvRecordsOfBothServicesAreMergedByPriorityThenWeight() throws Exception {
        records.put("_xmpps-server._tcp.a.test", List.of(new Dns.Srv(10, 0, 5270, "tls.a.test"), new Dns.Srv(30, 0, 443, "late.a.test")));
        records.put("_xmpp-server._tcp.a.test", List.of(new Dns.Srv(20, 5, 5269, "two.a.test"), new Dns.Srv(5, 0, 5269, "first.a.test"),
                new Dns.Srv(20, 95, 5269, "heavy.a.test")));
        // the random number picks the running sum it reaches first: 6 of 100 passes 5 and lands on 95's record
        Resolver r = new Resolver(Map.of(), dns, bound -> bound == 101 ? 6 : 0);
        assertThat(r.targets("a.test")).containsExactly(new Resolver.Target("first.a.test", 5269, false), new Resolver.Target("tls.a.test", 5270, true),
                new Resolver.Target("heavy.a.test", 5269, false), new Resolver.Target("two.a.test", 5269, false),
                new Resolver.Target("late.a.test", 443, true));
        assertThat(asked).containsExactly("_xmpps-server._tcp.a.test", "_xmpp-server._tcp.a.test");
        assertThat(r.addresses(new Resolver.Target("tls.a.test", 5270, true))).singleElement().satisfies(a -> assertThat(a.getPort()).isEqualTo(5270));
    }

    @Test
    void aWeightedChoiceFollowsTheWeights() throws Exception {
        records.put("_xmpp-server._tcp.w.test", List.of(new Dns.Srv(0, 1, 5269, "light"), new Dns.Srv(0, 99, 5269, "heavy")));
        int heavyFirst = 0;
        Resolver r = new Resolver(Map.of(), dns);
        for (int i = 0; i < 1000; i++) if (r.targets("w.test").getFirst().host().equals("heavy")) heavyFirst++;
        assertThat(heavyFirst).isBetween(950, 1000);
    }

    @Test
    void noRecordsOrNoAnswerFallBackToTheDomainOn5269() throws Exception {
        assertThat(new Resolver(Map.of(), dns).targets("plain.test")).containsExactly(new Resolver.Target("plain.test", 5269, false));
        assertThat(new Resolver(Map.of(), dns).targets("timeout.test")).containsExactly(new Resolver.Target("timeout.test", 5269, false));
    }

    @Test
    void aDotTargetSaysThereIsNoService() {
        records.put("_xmpp-server._tcp.none.test", List.of(new Dns.Srv(0, 0, 0, ".")));
        assertThatThrownBy(() -> new Resolver(Map.of(), dns).targets("none.test")).isInstanceOf(Resolver.NoService.class)
                .hasMessageContaining("none.test offers no server-to-server service");
    }

    @Test
    void aDotForOneServiceLeavesTheOther() throws Exception {
        records.put("_xmpps-server._tcp.half.test", List.of(new Dns.Srv(0, 0, 0, ".")));
        records.put("_xmpp-server._tcp.half.test", List.of(new Dns.Srv(0, 0, 5269, "xmpp.half.test")));
        assertThat(new Resolver(Map.of(), dns).targets("half.test")).containsExactly(new Resolver.Target("xmpp.half.test", 5269, false));
    }
}
