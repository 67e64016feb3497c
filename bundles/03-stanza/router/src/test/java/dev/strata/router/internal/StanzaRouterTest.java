package dev.strata.router.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.strata.api.Jid;
import dev.strata.api.auth.AccountStore;
import dev.strata.api.auth.ScramCredential;
import dev.strata.api.auth.ScramHash;
import dev.strata.api.module.StanzaHook;
import dev.strata.api.server.ServerInfo;
import dev.strata.api.stanza.Presence;
import dev.strata.api.stanza.Session;
import dev.strata.api.stanza.SessionRegistry;
import dev.strata.api.stanza.StreamError;
import dev.strata.api.xml.Element;

/**
 * RFC 6121 §8.5 delivery rules, one row each. Bob has resources set up per row as
 * "name:priority" (available) or "name:-" (connected, no presence); Alice sends; each row says
 * which of Bob's resources receive the stanza, and whether Alice gets an error or offline storage takes it.
 */
class StanzaRouterTest {
    static final Jid ALICE = Jid.of("alice@example.org/phone");
    static final Jid BOB = Jid.of("bob@example.org");

    static final class FakeSession implements Session {
        final Jid jid;
        final List<Element> received = new ArrayList<>();
        final Map<String, Object> attributes = new HashMap<>();

        FakeSession(Jid jid) {
            this.jid = jid;
        }

        @Override public Jid jid() { return jid; }
        @Override public String id() { return jid.toString(); }
        @Override public InetSocketAddress remoteAddress() { return new InetSocketAddress("127.0.0.1", 1); }
        @Override public void send(Element stanza) { received.add(stanza); }
        @Override public void close(StreamError error, String text) { }
        @Override public boolean isOpen() { return true; }
        @Override public Object attribute(String key) { return attributes.get(key); }
        @Override public void attribute(String key, Object value) { if (value == null) attributes.remove(key); else attributes.put(key, value); }
    }

    final Map<Jid, FakeSession> sessions = new LinkedHashMap<>();
    final FakeSession alice = add(ALICE, "5");
    final List<Element> offline = new ArrayList<>();

    FakeSession add(Jid jid, String priority) {
        FakeSession s = new FakeSession(jid);
        if (!priority.equals("-")) {
            s.attribute(Presence.ATTRIBUTE, Element.builder("presence", "jabber:client")
                    .child(Element.builder("priority", "jabber:client").text(priority).build()).build());
        }
        sessions.put(jid, s);
        return s;
    }

    StanzaRouter router() {
        SessionRegistry registry = new SessionRegistry() {
            @Override public Optional<Session> find(Jid fullJid) { return Optional.ofNullable(sessions.get(fullJid)); }
            @Override public List<Session> sessions(Jid bare) { return sessions.values().stream().filter(s -> s.jid.bare().equals(bare)).map(Session.class::cast).toList(); }
            @Override public Collection<Session> all() { return List.copyOf(sessions.values()); }
        };
        ServerInfo server = new ServerInfo() {
            @Override public List<String> domains() { return List.of("example.org"); }
            @Override public String environment() { return "development"; }
            @Override public List<Jid> admins() { return List.of(); }
        };
        AccountStore accounts = new AccountStore() {
            @Override public void create(Jid user, String password) { }
            @Override public void changePassword(Jid user, String password) { }
            @Override public boolean delete(Jid user) { return false; }
            @Override public boolean exists(Jid user) { return user.equals(BOB) || user.equals(ALICE.bare()); }
            @Override public Optional<ScramCredential> credential(Jid user, ScramHash hash) { return Optional.empty(); }
            @Override public List<Jid> list(String domain) { return List.of(); }
        };
        StanzaRouter r = new StanzaRouter(registry, server, accounts);
        r.addHook((stanza, session) -> offline.add(stanza), Map.of(StanzaHook.POINT, StanzaHook.MESSAGE_OFFLINE, "service.id", 1L));
        return r;
    }

    static Arguments row(String kind, String type, String to, String bobResources, String expectReceivers, String expectError) {
        return Arguments.of(kind, type, to, bobResources, expectReceivers, expectError);
    }

    /** Columns: stanza, type, to, Bob's resources, who of Bob gets it ("offline" = stored), error Alice gets. */
    static Stream<Arguments> rules() {
        return Stream.of(
                // §8.5.2.1.1 message to the bare JID, available resources
                row("message", "normal", "bob@example.org", "a:1 b:0", "a", null),
                row("message", "chat", "bob@example.org", "a:1 b:0", "a", null),
                row("message", "chat", "bob@example.org", "a:3 b:3 c:1", "a b", null), // equal highest priority: all of them
                row("message", null, "bob@example.org", "a:0 b:-1", "a", null), // negative priority never gets bare-JID messages
                row("message", "headline", "bob@example.org", "a:1 b:0 c:-1", "a b", null), // all non-negative
                row("message", "groupchat", "bob@example.org", "a:1", "", "service-unavailable"),
                row("message", "error", "bob@example.org", "a:1", "", null),
                row("message", "chat", "bob@example.org", "a:- b:1", "b", null), // connected without presence is not available
                // §8.5.2.2.1 no available resource
                row("message", "chat", "bob@example.org", "a:-1", "offline", null),
                row("message", "normal", "bob@example.org", "", "offline", null),
                row("message", "chat", "bob@example.org", "a:-", "offline", null),
                row("message", "headline", "bob@example.org", "", "", null),
                row("message", "groupchat", "bob@example.org", "", "", "service-unavailable"),
                row("message", "error", "bob@example.org", "", "", null),
                // §8.5.3.1 resource matches: delivered whatever its priority or presence
                row("message", "chat", "bob@example.org/b", "a:5 b:-1", "b", null),
                row("message", "normal", "bob@example.org/b", "a:5 b:-", "b", null),
                row("iq", "get", "bob@example.org/a", "a:1", "a", null),
                row("presence", null, "bob@example.org/a", "a:1", "a", null),
                // §8.5.3.2.1 no such resource
                row("message", "chat", "bob@example.org/gone", "a:1 b:2", "b", null),
                row("message", "chat", "bob@example.org/gone", "", "offline", null),
                row("message", "normal", "bob@example.org/gone", "a:1", "", "service-unavailable"),
                row("message", "headline", "bob@example.org/gone", "a:1", "", "service-unavailable"),
                row("message", "groupchat", "bob@example.org/gone", "a:1", "", "service-unavailable"),
                row("message", "error", "bob@example.org/gone", "a:1", "", null),
                row("iq", "get", "bob@example.org/gone", "a:1", "", "service-unavailable"),
                row("iq", "result", "bob@example.org/gone", "a:1", "", null),
                row("presence", null, "bob@example.org/gone", "a:1", "", null),
                // §8.5.2.1.2 directed presence to the bare JID: every available resource
                row("presence", null, "bob@example.org", "a:1 b:-1 c:-", "a b", null),
                row("presence", "unavailable", "bob@example.org", "a:1", "a", null),
                // §8.5.1 no such account
                row("message", "chat", "nobody@example.org", "", "", "service-unavailable"),
                row("message", "error", "nobody@example.org", "", "", null),
                row("iq", "get", "nobody@example.org/x", "", "", "service-unavailable"),
                row("presence", null, "nobody@example.org", "", "", null),
                // RFC 6120 §10.4: other domains (no federation yet)
                row("message", "chat", "someone@elsewhere.net", "", "", "remote-server-not-found"),
                row("iq", "get", "elsewhere.net", "", "", "remote-server-not-found"));
    }

    @ParameterizedTest(name = "{0} type={1} to={2} bob=[{3}] -> [{4}] error={5}")
    @MethodSource("rules")
    void deliversByTheRules(String kind, String type, String to, String bobResources, String expectReceivers, String expectError) {
        List<FakeSession> bobs = new ArrayList<>();
        for (String r : bobResources.split(" ")) {
            if (r.isEmpty()) continue;
            String[] p = r.split(":");
            bobs.add(add(BOB.withResource(p[0]), p[1]));
        }
        Element.Builder b = Element.builder(kind, "jabber:client").attribute("from", ALICE.toString()).attribute("to", to).attribute("id", "x1");
        if (type != null) b.attribute("type", type);
        if (kind.equals("iq")) b.child(Element.of("query", "urn:example"));
        else if (kind.equals("message")) b.child(Element.builder("body", "jabber:client").text("hi").build());
        router().route(b.build(), alice);

        String receivers = String.join(" ", bobs.stream().filter(s -> !s.received.isEmpty()).map(s -> s.jid.resource()).toList());
        if (!offline.isEmpty()) receivers = (receivers + " offline").strip();
        assertThat(receivers).isEqualTo(expectReceivers);
        List<String> errors = alice.received.stream().filter(e -> "error".equals(e.attribute("type")))
                .map(e -> e.child("error", "jabber:client").flatMap(Element::firstChild).map(Element::name).orElse("?")).toList();
        assertThat(errors).isEqualTo(expectError == null ? List.of() : List.of(expectError));
        assertThat(alice.received).hasSize(errors.size());
    }

    @Test
    void aMessageWithoutToGoesToTheSendersOwnBareJid() {
        FakeSession other = add(ALICE.withResource("laptop"), "1");
        router().route(Element.builder("message", "jabber:client").attribute("from", ALICE.toString()).attribute("type", "chat").build(), alice);
        assertThat(other.received).isEmpty(); // alice/phone has priority 5 > 1
        assertThat(alice.received).hasSize(1);
        assertThat(alice.received.getFirst().attribute("to")).isEqualTo("alice@example.org");
    }

    @Test
    void anOutboundHookCanStopAStanzaAndAnInboundHookCanDropIt() {
        FakeSession bob = add(BOB.withResource("a"), "1");
        StanzaRouter r = router();
        r.addHook((stanza, session) -> stanza.attribute("to").startsWith("bob"), Map.of(StanzaHook.POINT, StanzaHook.INBOUND, "service.id", 2L));
        r.route(Element.builder("message", "jabber:client").attribute("from", ALICE.toString()).attribute("to", "bob@example.org").build(), alice);
        assertThat(bob.received).isEmpty();
    }
}
