package dev.strata.xep0114;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.strata.api.stanza.DomainService;
import dev.strata.api.stanza.Origin;
import dev.strata.api.stanza.StreamError;
import dev.strata.api.transport.Connection;
import dev.strata.api.transport.StreamHeader;
import dev.strata.api.xml.Element;
import dev.strata.api.xml.Xml;
import dev.strata.api.xml.XmlEvent;
import dev.strata.testkit.FakeServer;
import dev.strata.testkit.RecordingRouter;

class ComponentStreamTest {
    /** What the stream layer did on one connection. */
    static final class Wire implements Connection {
        final List<String> out = new ArrayList<>();
        StreamHeader opened;
        StreamError error;
        boolean closed;

        @Override
        public InetSocketAddress remoteAddress() {
            return new InetSocketAddress("127.0.0.1", 40000);
        }

        @Override
        public boolean isSecure() {
            return false;
        }

        @Override
        public Optional<String> tlsProtocol() {
            return Optional.empty();
        }

        @Override
        public Optional<String> serverName() {
            return Optional.empty();
        }

        @Override
        public void write(String text) {
            out.add(text);
        }

        @Override
        public void openStream(StreamHeader header, List<Element> features) {
            opened = header;
        }

        @Override
        public void streamError(StreamHeader header, StreamError error, String text) {
            this.error = error;
        }

        @Override
        public void closeStream(StreamHeader header) {
            closed = true;
        }

        @Override
        public void write(Element element, String contextNamespace) {
            out.add(dev.strata.api.xml.XmlWriter.toString(element, contextNamespace));
        }

        @Override
        public void startTls(Element proceed, Runnable done) {
        }

        @Override
        public void startCompression(Element compressed, Runnable done) {
        }

        @Override
        public boolean isCompressed() {
            return false;
        }

        @Override
        public void resetStream() {
        }

        @Override
        public Optional<byte[]> channelBinding(String type) {
            return Optional.empty();
        }

        @Override
        public void pauseReading() {
        }

        @Override
        public void resumeReading() {
        }

        @Override
        public void close() {
        }

        @Override
        public void closeGracefully() {
        }
    }

    final RecordingRouter router = new RecordingRouter();
    final Map<String, DomainService> registered = new HashMap<>();
    ComponentStreams streams;

    @BeforeEach
    void setUp() {
        streams = new ComponentStreams((domain, service) -> {
            registered.put(domain, service);
            return () -> registered.remove(domain);
        }, router, FakeServer.of("example.org"), config("gateway.example.org=s3cret"));
    }

    static ComponentStreams.Config config(String... components) {
        return dev.strata.testkit.Configs.of(ComponentStreams.Config.class, Map.of("components", components));
    }

    static XmlEvent.StreamOpen open(String to, String ns) {
        Element.Builder h = Element.builder("stream", "http://etherx.jabber.org/streams");
        if (to != null) h.attribute("to", to);
        return new XmlEvent.StreamOpen(h.build(), Map.of("", ns, "stream", "http://etherx.jabber.org/streams"));
    }

    static Element parse(String xml) throws Exception {
        return Xml.parse(xml);
    }

    /** A stream that got through its handshake. */
    ComponentStream connected(Wire wire) throws Exception {
        ComponentStream s = (ComponentStream) streams.create(wire);
        s.opened(open("gateway.example.org", StreamHeader.COMPONENT));
        assertThat(wire.opened.namespace()).isEqualTo(StreamHeader.COMPONENT);
        String digest = ComponentStream.sha1Hex(wire.opened.id() + "s3cret");
        s.element(parse("<handshake xmlns='jabber:component:accept'>" + digest.toUpperCase() + "</handshake>"));
        return s;
    }

    @Test
    void theHandshakeIsTheSha1OfTheStreamIdAndTheSecret() throws Exception {
        assertThat(ComponentStream.sha1Hex("3BF96D32" + "s3cr3t")).hasSize(40).isLowerCase();
        Wire wire = new Wire();
        connected(wire);
        assertThat(wire.error).isNull();
        assertThat(wire.out.getLast()).isEqualTo("<handshake/>");
    }

    @Test
    void everyRefusalIsAStreamError() throws Exception {
        Wire unknown = new Wire();
        streams.create(unknown).opened(open("other.example.org", StreamHeader.COMPONENT));
        assertThat(unknown.error).isEqualTo(StreamError.HOST_UNKNOWN);
        Wire client = new Wire();
        streams.create(client).opened(open("gateway.example.org", "jabber:client"));
        assertThat(client.error).isEqualTo(StreamError.INVALID_NAMESPACE);
        Wire wrong = new Wire();
        ComponentStream w = (ComponentStream) streams.create(wrong);
        w.opened(open("gateway.example.org", StreamHeader.COMPONENT));
        w.element(parse("<handshake xmlns='jabber:component:accept'>" + ComponentStream.sha1Hex(wrong.opened.id() + "guess") + "</handshake>"));
        assertThat(wrong.error).isEqualTo(StreamError.NOT_AUTHORIZED);
        Wire early = new Wire();
        ComponentStream e = (ComponentStream) streams.create(early);
        e.opened(open("gateway.example.org", StreamHeader.COMPONENT));
        e.element(parse("<message xmlns='jabber:component:accept' from='gateway.example.org' to='a@example.org'/>"));
        assertThat(early.error).as("a stanza before the handshake").isEqualTo(StreamError.NOT_AUTHORIZED);

        Wire first = new Wire(), second = new Wire();
        ComponentStream one = connected(first);
        connected(second);
        assertThat(second.error).as("the domain is connected already").isEqualTo(StreamError.CONFLICT);
        one.element(parse("<message xmlns='jabber:component:accept' from='bot@elsewhere.org' to='alice@example.org'/>"));
        assertThat(first.error).isEqualTo(StreamError.INVALID_FROM);
        Wire third = new Wire();
        connected(third);
        assertThat(third.error).as("until its connection is gone, the domain is the first one's").isEqualTo(StreamError.CONFLICT);
        one.disconnected("closed");
        Wire fourth = new Wire();
        connected(fourth);
        assertThat(fourth.error).as("then it is free").isNull();
    }

    @Test
    void stanzasGoBothWaysInTheirOwnNamespaceOnEachSide() throws Exception {
        Wire wire = new Wire();
        ComponentStream s = connected(wire);
        s.element(parse("<message xmlns='jabber:component:accept' from='bot@gateway.example.org/x' to='alice@example.org' type='chat'>"
                + "<body>hi</body><x xmlns='urn:example'><y/></x></message>"));
        long until = System.nanoTime() + 5_000_000_000L;
        while (router.delivered.isEmpty() && System.nanoTime() < until) Thread.sleep(10);
        Element delivered = router.delivered.getFirst();
        assertThat(delivered.namespace()).isEqualTo("jabber:client");
        assertThat(delivered.child("body", "jabber:client").orElseThrow().text()).isEqualTo("hi");
        assertThat(delivered.child("x", "urn:example")).isPresent();

        List<Element> replies = new ArrayList<>();
        DomainService gateway = registered.get("gateway.example.org");
        gateway.handle(parse("<message xmlns='jabber:client' from='alice@example.org/phone' to='bot@gateway.example.org' type='chat'><body>yo</body></message>"),
                Origin.of(dev.strata.api.Jid.of("alice@example.org/phone"), replies::add));
        assertThat(wire.out.getLast()).as("written in the component's namespace, inherited from its stream")
                .isEqualTo("<message from=\"alice@example.org/phone\" to=\"bot@gateway.example.org\" type=\"chat\"><body>yo</body></message>");
        s.disconnected("gone");
        gateway.handle(parse("<iq xmlns='jabber:client' type='get' id='q' from='alice@example.org/phone' to='gateway.example.org'><query xmlns='jabber:iq:version'/></iq>"),
                Origin.of(dev.strata.api.Jid.of("alice@example.org/phone"), replies::add));
        assertThat(replies).hasSize(1);
        assertThat(replies.getFirst().toXml()).contains("service-unavailable", "not connected");
    }

    @Test
    void onlyDomainsWithASecretThatAreNotTheServersOwnAreComponents() {
        assertThat(ComponentStreams.secrets(new String[] {" gw.example.org = s ", "example.org=x", "a@b.org=x", "empty.example.org=", "no-secret", ""},
                List.of("example.org"))).containsExactly(Map.entry("gw.example.org", "s"));
        streams.modified(config());
        assertThat(registered).as("live: a component taken out of the configuration is gone").isEmpty();
    }
}
