package dev.strata.xep0065;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.strata.api.Jid;
import dev.strata.api.transport.Bytestream;
import dev.strata.api.xml.Element;
import dev.strata.testkit.Configs;
import dev.strata.testkit.FakeServer;
import dev.strata.testkit.FakeSession;
import dev.strata.testkit.RecordingRouter;

/** XEP-0065 1.8.2 §6.3: the proxy's address, the waiting connections, activation and its errors, and the limits. */
class Proxy65Test {
    private static final String HASH = "303cbaf2c2a06d0d7bb878131c8e54bf029638e2"; // SHA1("vxf9n471bn" + alice@example.org/phone + bob@example.org/laptop)
    private final RecordingRouter router = new RecordingRouter();
    private final FakeSession alice = new FakeSession("alice@example.org/phone");
    private Proxy65 proxy = proxy(Map.of());

    /** A connection as the transport hands it over. */
    static final class End implements Bytestream {
        final String hash;
        final CompletableFuture<Void> closed = new CompletableFuture<>();
        Bytestream relayedWith;
        long rate = -1;

        End(String hash) {
            this.hash = hash;
        }

        @Override
        public String hash() {
            return hash;
        }

        @Override
        public InetSocketAddress remoteAddress() {
            return new InetSocketAddress("127.0.0.1", 40000);
        }

        @Override
        public void relay(Bytestream other, long bytesPerSecond) {
            if (closed.isDone() || ((End) other).closed.isDone()) throw new IllegalStateException("closed");
            relayedWith = other;
            rate = bytesPerSecond;
        }

        @Override
        public long bytesRelayed() {
            return 0;
        }

        @Override
        public void close() {
            closed.complete(null);
        }

        @Override
        public CompletionStage<Void> closed() {
            return closed;
        }
    }

    private Proxy65 proxy(Map<String, ?> config) {
        return new Proxy65(Configs.of(Proxy65.Config.class, config), router, FakeServer.of("example.org"));
    }

    @AfterEach
    void stop() {
        proxy.deactivate();
    }

    private Element iq(String type, String from, Element query) {
        return Element.builder("iq", "jabber:client").attribute("type", type).attribute("id", "x1").attribute("from", from)
                .attribute("to", "proxy.example.org").child(query).build();
    }

    private Element activate(String from, String sid, String target) {
        Element.Builder q = Element.builder("query", Proxy65.NS);
        if (sid != null) q.attribute("sid", sid);
        return iq("set", from, q.child(Element.builder("activate", Proxy65.NS).text(target).build()).build());
    }

    /** The error condition of the reply to the stanza's sender, or "result" when the router got a result. */
    private String answer(Element stanza) {
        FakeSession sender = new FakeSession(stanza.attribute("from"));
        int delivered = router.delivered.size();
        proxy.service().handle(stanza, sender);
        if (router.delivered.size() > delivered) return router.delivered.getLast().attribute("type");
        assertThat(sender.received).hasSize(1);
        Element error = sender.received.getLast().child("error", "jabber:client").orElseThrow();
        return error.firstChild().orElseThrow().name();
    }

    @Test
    void hashIsTheSha1OfSidInitiatorAndTarget() {
        assertThat(Proxy65.hash("vxf9n471bn", Jid.of("alice@example.org/phone"), Jid.of("bob@example.org/laptop"))).isEqualTo(HASH);
    }

    @Test
    void tellsItsAddressAndIdentity() {
        proxy.service().handle(iq("get", "alice@example.org/phone", Element.of("query", Proxy65.NS)), alice);
        Element host = router.delivered.getLast().child("query", Proxy65.NS).orElseThrow().child("streamhost", Proxy65.NS).orElseThrow();
        assertThat(host.attribute("jid")).isEqualTo("proxy.example.org");
        assertThat(host.attribute("host")).isEqualTo("example.org");
        assertThat(host.attribute("port")).isEqualTo("7777");
        proxy.service().handle(iq("get", "alice@example.org/phone", Element.of("query", Proxy65.DISCO_INFO)), alice);
        Element identity = router.delivered.getLast().child("query", Proxy65.DISCO_INFO).orElseThrow().child("identity", Proxy65.DISCO_INFO).orElseThrow();
        assertThat(identity.attribute("category") + "/" + identity.attribute("type")).isEqualTo("proxy/bytestreams");
    }

    @Test
    void refusesStrangersUnlessOpenToAnyone() {
        assertThat(answer(iq("get", "mallory@elsewhere.org/x", Element.of("query", Proxy65.NS)))).isEqualTo("forbidden");
        assertThat(answer(activate("mallory@elsewhere.org/x", "s", "bob@example.org/laptop"))).isEqualTo("forbidden");
        proxy.deactivate();
        proxy = proxy(Map.of("access", "anyone"));
        assertThat(answer(iq("get", "mallory@elsewhere.org/x", Element.of("query", Proxy65.NS)))).isEqualTo("result");
    }

    @Test
    void activatesWhenBothPartiesAreConnected() {
        End target = new End(HASH), initiator = new End(HASH.toUpperCase());
        assertThat(proxy.offer(target)).isNull();
        assertThat(answer(activate("alice@example.org/phone", "vxf9n471bn", "bob@example.org/laptop"))).isEqualTo("not-allowed");
        assertThat(proxy.offer(initiator)).isNull();
        assertThat(proxy.offer(new End(HASH))).contains("two connections already wait");
        assertThat(answer(activate("alice@example.org/phone", "vxf9n471bn", "bob@example.org/laptop"))).isEqualTo("result");
        assertThat(target.relayedWith).isSameAs(initiator);
        assertThat(target.rate).isEqualTo(10L * 1024 * 1024);
        // activated once: a second activation finds nothing waiting
        assertThat(answer(activate("alice@example.org/phone", "vxf9n471bn", "bob@example.org/laptop"))).isEqualTo("item-not-found");
    }

    @Test
    void anActivationFromAnotherJidFindsNothing() {
        proxy.offer(new End(HASH));
        proxy.offer(new End(HASH));
        // the hash covers the initiator's full JID: another resource of the same account cannot activate it
        assertThat(answer(activate("alice@example.org/tablet", "vxf9n471bn", "bob@example.org/laptop"))).isEqualTo("item-not-found");
    }

    @Test
    void badActivationsGetTheirErrors() {
        assertThat(answer(activate("alice@example.org/phone", null, "bob@example.org/laptop"))).isEqualTo("bad-request");
        assertThat(answer(activate("alice@example.org/phone", "s", "bob@@example.org"))).isEqualTo("jid-malformed");
        assertThat(answer(iq("set", "alice@example.org/phone", Element.of("query", Proxy65.NS)))).isEqualTo("bad-request");
        assertThat(answer(Element.builder("message", "jabber:client").attribute("from", "alice@example.org/phone").attribute("to", "proxy.example.org")
                .build())).isEqualTo("service-unavailable");
        assertThat(proxy.offer(new End("not-a-hash"))).contains("is not a bytestream's hash");
    }

    @Test
    void aConnectionThatLeavesIsNoLongerWaitedFor() {
        End target = new End(HASH), initiator = new End(HASH);
        proxy.offer(target);
        proxy.offer(initiator);
        target.close();
        assertThat(answer(activate("alice@example.org/phone", "vxf9n471bn", "bob@example.org/laptop"))).isEqualTo("not-allowed");
        initiator.close();
        assertThat(answer(activate("alice@example.org/phone", "vxf9n471bn", "bob@example.org/laptop"))).isEqualTo("item-not-found");
        assertThat(proxy.counts()).containsExactly(0, 0);
    }

    @Test
    void boundsTheStreamsOfOneAccount() {
        proxy.deactivate();
        proxy = proxy(Map.of("max.streams.per.account", 1));
        End a = new End(HASH), b = new End(HASH);
        proxy.offer(a);
        proxy.offer(b);
        assertThat(answer(activate("alice@example.org/phone", "vxf9n471bn", "bob@example.org/laptop"))).isEqualTo("result");
        String other = Proxy65.hash("second", Jid.of("alice@example.org/phone"), Jid.of("bob@example.org/laptop"));
        proxy.offer(new End(other));
        proxy.offer(new End(other));
        assertThat(answer(activate("alice@example.org/phone", "second", "bob@example.org/laptop"))).isEqualTo("resource-constraint");
        a.close();
        b.close();
        assertThat(answer(activate("alice@example.org/phone", "second", "bob@example.org/laptop"))).isEqualTo("result");
    }

    @Test
    void closesWhatIsNotActivatedInTime() throws Exception {
        proxy.deactivate();
        proxy = proxy(Map.of("activation.timeout", 1));
        End target = new End(HASH);
        proxy.offer(target);
        target.closed.get(5, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(proxy.counts()).containsExactly(0, 0);
    }
}
