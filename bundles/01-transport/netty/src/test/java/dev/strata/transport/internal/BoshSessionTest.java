package dev.strata.transport.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.strata.api.stanza.StreamError;
import dev.strata.api.transport.StreamHandler;
import dev.strata.api.transport.StreamHeader;
import dev.strata.api.xml.Element;
import dev.strata.api.xml.XmlEvent;
import dev.strata.api.xml.XmlException;
import dev.strata.testkit.Configs;
import io.netty.util.concurrent.DefaultEventExecutor;

/** XEP-0124's request rules on one session: rid order and window, held requests, resends, pause, terminate, errors, inactivity. */
class BoshSessionTest {
    private final DefaultEventExecutor timers = new DefaultEventExecutor();
    private final Map<String, BoshSession> registry = new ConcurrentHashMap<>();
    private final List<String> events = new CopyOnWriteArrayList<>();
    private final StreamHandler handler = new StreamHandler() {
        public void opened(XmlEvent.StreamOpen open) {
            events.add("open to=" + open.header().attribute("to") + " version=" + open.header().attribute("version"));
        }

        public void element(Element element) {
            events.add("element " + element.name() + " " + element.attribute("id"));
        }

        public void closed() {
            events.add("closed");
        }

        public void failed(XmlException error) {
            events.add("failed");
        }

        public void disconnected(String reason) {
            events.add("disconnected " + reason);
        }

        public void idle() {
        }
    };

    @AfterEach
    void stop() {
        timers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    private BoshSession session(int inactivity) {
        HttpTransport.Config config = Configs.of(HttpTransport.Config.class, Map.of("bosh.inactivity", inactivity));
        BoshSession s = new BoshSession(config, registry, () -> { }, timers, new InetSocketAddress("127.0.0.1", 40000), false, null, null, true, 30, 1, 10_000);
        registry.put(s.sid, s);
        s.attach(handler);
        return s;
    }

    private static Element body(String... attributes) {
        Element.Builder b = Element.builder("body", BoshSession.NS);
        for (int i = 0; i < attributes.length; i += 2) b.attribute(attributes[i], attributes[i + 1]);
        return b.build();
    }

    private static Element iq(String id) {
        return Element.builder("iq", "jabber:client").attribute("id", id).attribute("type", "get").build();
    }

    /** Replies in the order they were sent. */
    private final List<String> replies = new CopyOnWriteArrayList<>();

    private BoshSession.Reply reply(String name) {
        return xml -> replies.add(name + ": " + xml);
    }

    private BoshSession created() {
        BoshSession s = session(60);
        s.create(100, Element.builder("body", BoshSession.NS).attribute("to", "localhost").attribute(BoshSession.XBOSH, "version", "1.0").build(), reply("create"));
        assertThat(replies).as("held until the stream layer opens its stream").isEmpty();
        s.openStream(new StreamHeader("localhost", "stream-1"), List.of(Element.of("mechanisms", "urn:ietf:params:xml:ns:xmpp-sasl")));
        return s;
    }

    @Test
    void theCreationAnswerCarriesTheSessionAndTheFeatures() {
        BoshSession s = created();
        assertThat(events).containsExactly("open to=localhost version=1.0");
        assertThat(replies).singleElement().asString().contains("create: <body xmlns='" + BoshSession.NS + "'", "sid='" + s.sid + "'", "wait='30'",
                "requests='2'", "hold='1'", "ver='1.11'", "authid=\"stream-1\"", "from=\"localhost\"",
                "<stream:features><mechanisms xmlns=\"urn:ietf:params:xml:ns:xmpp-sasl\"/></stream:features></body>");
    }

    @Test
    void requestsAreTakenInRidOrderAndAResendGetsTheSameAnswer() {
        BoshSession s = created();
        s.request(102, body(), List.of(iq("second")), reply("102"));
        assertThat(events).as("102 waits for 101").hasSize(1);
        s.request(101, body(), List.of(iq("first")), reply("101"));
        assertThat(events).containsExactly("open to=localhost version=1.0", "element iq first", "element iq second");
        // hold is 1: 101 was answered (empty) when 102 was taken
        assertThat(replies).hasSize(2).last().asString().startsWith("101: <body").doesNotContain("sid=");
        s.write(iq("answer"), "jabber:client");
        assertThat(replies).last().asString().startsWith("102: ").contains("<iq xmlns=\"jabber:client\" id=\"answer\" type=\"get\"/>");
        String answer = replies.getLast().substring(5);
        s.request(102, body(), List.of(iq("second")), reply("again"));
        assertThat(replies.getLast()).isEqualTo("again: " + answer);
        assertThat(events).as("a resend is not taken twice").hasSize(3);
    }

    @Test
    void aRidBeyondTheWindowEndsTheSession() {
        BoshSession s = created();
        s.request(105, body(), List.of(), reply("far"));
        assertThat(replies.getLast()).contains("type='terminate'", "condition='item-not-found'");
        assertThat(events.getLast()).startsWith("disconnected rid 105 is beyond the window");
        assertThat(registry).doesNotContainKey(s.sid);
    }

    @Test
    void terminateIsAnsweredWithTheTerminatingBodyOnceTheStreamCloses() {
        BoshSession s = created();
        s.request(101, body("type", "terminate"), List.of(Element.builder("presence", "jabber:client").attribute("type", "unavailable").build()), reply("bye"));
        assertThat(events).contains("closed");
        s.write(Element.builder("presence", "jabber:client").attribute("type", "unavailable").build(), "jabber:client");
        assertThat(replies).as("the terminate request waits for the stream's end").hasSize(1);
        s.closeStream(new StreamHeader("localhost", "stream-1"));
        assertThat(replies.getLast()).startsWith("bye: <body xmlns='" + BoshSession.NS + "' type='terminate'>").contains("<presence");
        assertThat(events.getLast()).startsWith("disconnected the client terminated");
    }

    @Test
    void aStreamErrorIsARemoteStreamErrorTerminate() {
        BoshSession s = created();
        s.request(101, body(), List.of(), reply("held"));
        s.streamError(new StreamHeader("localhost", "stream-1"), StreamError.POLICY_VIOLATION, "too fast");
        assertThat(replies.getLast()).contains("type='terminate'", "condition='remote-stream-error'", "<stream:error", "<policy-violation", "too fast");
        assertThat(events.getLast()).startsWith("disconnected stream error policy-violation");
    }

    @Test
    void aClientThatDoesNotFetchIsCutOffAtTheBound() {
        BoshSession s = created();
        for (int i = 0; i < 200; i++) s.write(iq("flood-" + i), "jabber:client");
        s.request(101, body(), List.of(), reply("late"));
        assertThat(replies.getLast()).contains("condition='remote-stream-error'", "<policy-violation", "does not fetch").doesNotContain("flood-");
    }

    @Test
    void aSessionWithoutRequestsEndsAfterItsInactivity() throws Exception {
        BoshSession s = session(1);
        s.create(1, body("to", "localhost"), reply("create"));
        s.openStream(new StreamHeader("localhost", "x"), List.of());
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < until && !events.getLast().startsWith("disconnected")) Thread.sleep(50);
        assertThat(events.getLast()).isEqualTo("disconnected no BOSH request for 1 s (inactivity)");
        assertThat(registry).isEmpty();
        List<String> before = new ArrayList<>(replies);
        s.request(2, body(), List.of(), reply("gone"));
        assertThat(replies).hasSize(before.size() + 1).last().asString().contains("condition='item-not-found'");
    }
}
