package dev.strata.stream.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.strata.api.Jid;
import dev.strata.api.module.SessionLifecycle;
import dev.strata.api.stanza.Presence;
import dev.strata.api.stanza.Session;
import dev.strata.api.stanza.StreamError;
import dev.strata.api.stream.StreamFeature;
import dev.strata.api.transport.Connection;
import dev.strata.api.transport.StreamHeader;
import dev.strata.api.xml.Element;
import dev.strata.api.xml.XmlEvent;
import dev.strata.api.xml.XmlWriter;
import dev.strata.testkit.Configs;
import dev.strata.testkit.FakeRegistry;
import dev.strata.testkit.FakeServer;
import dev.strata.testkit.FakeThrottle;
import dev.strata.testkit.MemoryAccounts;
import dev.strata.testkit.RecordingRouter;

/**
 * A client stream over a fake connection: negotiation through the SASL and bind features
 * (RFC 6120 §6, §7), resource conflicts (§7.7.2.2), and sessions that outlive their connection.
 */
class C2sStreamTest {
    static final String OPEN = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='example.org' version='1.0'>";

    /** A connection that is secure from the start (as after STARTTLS) and records what is written. */
    static final class FakeConnection implements Connection {
        final StringBuffer written = new StringBuffer();
        volatile boolean closed;

        @Override public InetSocketAddress remoteAddress() { return new InetSocketAddress("127.0.0.1", 40_000); }
        @Override public boolean isSecure() { return true; }
        @Override public Optional<String> tlsProtocol() { return Optional.of("TLSv1.3"); }
        @Override public Optional<String> serverName() { return Optional.empty(); }
        @Override public void write(String text) { written.append(text); }
        @Override public void write(Element element, String contextNamespace) { written.append(XmlWriter.toString(element, contextNamespace)); }
        @Override public void openStream(StreamHeader header, List<Element> features) {
            written.append("<stream:stream id='").append(header.id()).append("'><stream:features>");
            for (Element f : features) written.append(XmlWriter.toString(f, ""));
            written.append("</stream:features>");
        }
        @Override public void streamError(StreamHeader header, StreamError error, String text) {
            written.append("<stream:error><").append(error.condition()).append("/>").append(text).append("</stream:error></stream:stream>");
            closed = true;
        }
        @Override public void closeStream(StreamHeader header) { written.append("</stream:stream>"); closed = true; }
        @Override public void startTls(Element proceed, Runnable done) { throw new UnsupportedOperationException("secure already"); }
        @Override public void startCompression(Element compressed, Runnable done) { throw new UnsupportedOperationException(); }
        @Override public boolean isCompressed() { return false; }
        @Override public void resetStream() { }
        @Override public Optional<byte[]> channelBinding(String type) { return Optional.empty(); }
        @Override public void pauseReading() { }
        @Override public void resumeReading() { }
        @Override public void close() { closed = true; }
        @Override public void closeGracefully() { closed = true; }
    }

    final FakeRegistry registry = new FakeRegistry();
    final RecordingRouter router = new RecordingRouter();
    final C2sStreams.Config config = Configs.of(C2sStreams.Config.class, Map.of("auth.failure.delay.ms", 0));
    final Events events = new Events();
    final C2sStreams owner = new C2sStreams(config, events, null);
    final FakeThrottle throttle = new FakeThrottle();
    final Logins logins = new Logins(config, events);
    final SaslFeature sasl = new SaslFeature(logins);
    final List<String> ended = new CopyOnWriteArrayList<>();

    @BeforeEach
    void wire() throws ReflectiveOperationException {
        set("registry", registry);
        set("router", router);
        set("server", FakeServer.of("example.org"));
        Field accounts = Logins.class.getDeclaredField("accounts");
        accounts.setAccessible(true);
        accounts.set(logins, new MemoryAccounts().with("alice@example.org"));
        Field throttle = Logins.class.getDeclaredField("throttle");
        throttle.setAccessible(true);
        throttle.set(logins, this.throttle);
        feature(sasl, SaslFeature.SASL_NS, null);
        feature(new BindFeature(), BindFeature.NS, BindFeature.NS);
        feature(new LegacySession(), LegacySession.NS, LegacySession.NS);
    }

    private void set(String field, Object value) throws ReflectiveOperationException {
        Field f = C2sStreams.class.getDeclaredField(field); // dynamic DS references
        f.setAccessible(true);
        f.set(owner, value);
    }

    private void feature(StreamFeature f, String ns, String iq) {
        owner.addFeature(f, iq == null ? Map.of(StreamFeature.NAMESPACE, ns) : Map.of(StreamFeature.NAMESPACE, ns, StreamFeature.PRE_AUTH_IQ, new String[] {iq}));
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) throw new AssertionError("timed out waiting for " + what);
            Thread.sleep(5);
        }
    }

    record Client(FakeConnection conn, C2sStream stream) {
        void open() {
            stream.opened(new XmlEvent.StreamOpen(Element.builder("stream", C2sStream.STREAMS_NS).attribute("to", "example.org").attribute("version", "1.0").build(),
                    Map.of("", "jabber:client", "stream", C2sStream.STREAMS_NS)));
        }

        void send(Element e) {
            stream.element(e);
        }

        String until(String marker) throws InterruptedException {
            await(marker, () -> conn.written.toString().contains(marker));
            return conn.written.toString();
        }
    }

    Client connect() {
        FakeConnection c = new FakeConnection();
        return new Client(c, (C2sStream) owner.create(c));
    }

    static Element plain(String password) {
        return Element.builder("auth", SaslFeature.SASL_NS).attribute("mechanism", "PLAIN")
                .text(Base64.getEncoder().encodeToString(("\0alice\0" + password).getBytes(UTF_8))).build();
    }

    /** Opens and authenticates with PLAIN as alice. */
    static void authenticate(Client c) throws InterruptedException {
        c.open();
        assertThat(c.until("</stream:features>")).contains("<mechanism>PLAIN</mechanism>", "<mechanism>SCRAM-SHA-256</mechanism>")
                .doesNotContain("<bind");
        c.send(plain("pw"));
        c.until("<success");
    }

    /** Opens, authenticates with PLAIN as alice, and binds {@code resource}; returns the session. */
    Session login(Client c, String resource) throws InterruptedException {
        authenticate(c);
        c.conn.written.setLength(0);
        c.open();
        assertThat(c.until("</stream:features>")).contains("<bind xmlns=\"urn:ietf:params:xml:ns:xmpp-bind\"/>", "<optional/>")
                .doesNotContain("mechanism");
        c.send(Element.builder("iq", "jabber:client").attribute("type", "set").attribute("id", "b1")
                .child(Element.builder("bind", BindFeature.NS).child(Element.builder("resource", BindFeature.NS).text(resource).build()).build()).build());
        assertThat(c.until("</iq>")).contains("<jid>alice@example.org/" + resource + "</jid>");
        return c.stream.session();
    }

    @Test
    void negotiatesThroughTheSaslAndBindFeaturesThenRoutesStanzas() throws InterruptedException {
        Client c = connect();
        Session s = login(c, "phone");
        assertThat(registry.find(Jid.of("alice@example.org/phone"))).containsSame(s);
        c.send(Element.builder("message", "jabber:client").attribute("to", "bob@example.org").build());
        await("the message routed", () -> !router.routed.isEmpty());
        assertThat(router.routed.getFirst().attribute("from")).as("'from' stamped (RFC 6120 §8.1.2.1)").isEqualTo("alice@example.org/phone");
    }

    @Test
    void aWrongPasswordFailsAndABindBeforeAuthenticationIsRefused() throws InterruptedException {
        Client c = connect();
        c.open();
        c.until("</stream:features>");
        c.send(plain("wrong"));
        assertThat(c.until("</failure>")).contains("<not-authorized/>");
        assertThat(throttle.failures).as("counted in the server's one record of failed logins").hasSize(1);
        c.send(Element.builder("iq", "jabber:client").attribute("type", "set").attribute("id", "b1").child(Element.of("bind", BindFeature.NS)).build());
        assertThat(c.until("</stream:error>")).contains("<not-authorized", "Authenticate first");
    }

    /** RFC 6120 §7.7.2.2: the new session wins; the old stream's late end must not touch the JID the new one holds. */
    @Test
    void aReplacedSessionsLateEndLeavesItsSuccessorAlone() throws InterruptedException {
        Client first = connect(), second = connect();
        Session old = login(first, "phone");
        old.attribute(Presence.ATTRIBUTE, Element.of("presence", "jabber:client")); // it was available
        Session fresh = login(second, "phone");
        assertThat(first.until("</stream:error>")).contains("<conflict");
        first.stream.disconnected("closed by the client");
        await("the old session ended", () -> !old.isOpen());
        assertThat(registry.find(Jid.of("alice@example.org/phone"))).containsSame(fresh);
        assertThat(router.routed).as("no unavailable presence for the JID the new session holds").isEmpty();
    }

    /** A lifecycle that keeps every session whose connection is lost for {@code keep}. */
    private void keepDetachedSessions(Duration keep) {
        owner.addLifecycle(new SessionLifecycle() {
            @Override
            public Duration detached(Session session, String reason) {
                return keep;
            }
        });
    }

    @Test
    void aLifecycleKeepsASessionWithoutItsConnectionUntilAStreamResumesIt() throws Exception {
        keepDetachedSessions(Duration.ofSeconds(30));
        Client c = connect();
        Session s = login(c, "phone");
        s.attribute("strata.test", "kept");
        c.stream.disconnected("connection reset");
        await("detached", () -> !s.isConnected());
        assertThat(s.isOpen()).isTrue();
        assertThat(registry.find(Jid.of("alice@example.org/phone"))).containsSame(s);

        Client again = connect();
        authenticate(again);
        Session resumed = again.stream.resume(s);
        assertThat(resumed).isSameAs(s);
        assertThat(s.isConnected()).isTrue();
        assertThat(s.attribute("strata.test")).isEqualTo("kept");
        s.send(Element.builder("message", "jabber:client").attribute("id", "after-resume").build());
        assertThat(again.until("after-resume")).contains("after-resume");
    }

    @Test
    void aKeptSessionEndsWhenNoConnectionComesBack() throws InterruptedException {
        owner.addLifecycle(new SessionLifecycle() {
            @Override
            public Duration detached(Session session, String reason) {
                return Duration.ofMillis(50);
            }

            @Override
            public void ended(Session session, String reason) {
                ended.add(session.jid() + ": " + reason);
            }
        });
        Client c = connect();
        Session s = login(c, "phone");
        c.stream.disconnected("connection reset");
        // isOpen turns false as the end begins; the lifecycles hear of it a moment later, on the session's worker
        await("ended, and the lifecycles told", () -> !s.isOpen() && !ended.isEmpty());
        assertThat(registry.find(Jid.of("alice@example.org/phone"))).isEmpty();
        assertThat(ended).singleElement().asString().startsWith("alice@example.org/phone: no connection came back");
    }

    /** Only a lost connection leaves a session to be resumed: a closed stream (handshake or stream error) ends it. */
    @Test
    void aStreamClosedOnPurposeEndsItsSessionWhateverTheLifecycles() throws InterruptedException {
        keepDetachedSessions(Duration.ofSeconds(30));
        Map<String, String> endedBecause = new java.util.concurrent.ConcurrentHashMap<>();
        owner.addLifecycle(new SessionLifecycle() {
            @Override
            public void ended(Session session, String reason) {
                endedBecause.put(session.jid().resource(), reason);
            }
        });
        Client c = connect();
        Session s = login(c, "phone");
        c.stream.closed(); // </stream:stream> from the client
        c.until("</stream:stream>");
        c.stream.disconnected("closed by the client");
        await("ended", () -> !s.isOpen());
        Client kicked = connect();
        Session k = login(kicked, "laptop");
        k.close(StreamError.POLICY_VIOLATION, "kicked");
        kicked.until("</stream:error>");
        kicked.stream.disconnected("closed by the client");
        await("ended", () -> !k.isOpen());
        assertThat(registry.all()).isEmpty();
        // the log and the lifecycles say what happened, not what the transport saw last
        await("the lifecycles told", () -> endedBecause.size() == 2);
        assertThat(endedBecause).containsEntry("phone", "closed by the client").containsEntry("laptop", "stream error policy-violation: kicked");
    }
}
