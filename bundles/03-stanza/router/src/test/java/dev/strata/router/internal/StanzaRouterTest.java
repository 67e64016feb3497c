package dev.strata.router.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.strata.api.Jid;
import dev.strata.api.auth.AccountStore;
import dev.strata.api.auth.ScramCredential;
import dev.strata.api.auth.ScramHash;
import dev.strata.api.module.StanzaFilter;
import dev.strata.api.module.StanzaHook;
import dev.strata.api.server.ServerInfo;
import dev.strata.api.stanza.DomainService;
import dev.strata.api.stanza.Origin;
import dev.strata.api.stanza.SessionRegistry;
import dev.strata.api.stanza.StanzaContext;
import dev.strata.api.xml.Element;
import dev.strata.testkit.FakeServer;
import dev.strata.testkit.FakeSession;

/**
 * RFC 6121 §8.5 delivery rules, one row each. Bob has resources set up per row as
 * "name:priority" (available) or "name:-" (connected, no presence); Alice sends; each row says
 * which of Bob's resources receive the stanza, and whether Alice gets an error or offline storage takes it.
 */
class StanzaRouterTest {
    static final Jid ALICE = Jid.of("alice@example.org/phone");
    static final Jid BOB = Jid.of("bob@example.org");

    final LocalSessions registry = new LocalSessions();
    final FakeSession alice = add(ALICE, "5");
    final List<Element> offline = new ArrayList<>();

    FakeSession add(Jid jid, String priority) {
        FakeSession s = new FakeSession(jid);
        if (!priority.equals("-")) s.available(Integer.parseInt(priority));
        registry.bind(s, SessionRegistry.ConflictPolicy.REPLACE);
        return s;
    }

    StanzaRouter router() {
        ServerInfo server = FakeServer.of("example.org");
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

        String receivers = String.join(" ", bobs.stream().filter(s -> !s.received.isEmpty()).map(s -> s.jid().resource()).toList());
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

    static Element message(String to) {
        return Element.builder("message", "jabber:client").attribute("from", ALICE.toString()).attribute("to", to).attribute("type", "chat")
                .child(Element.builder("body", "jabber:client").text("hi").build()).build();
    }

    static List<String> errors(FakeSession s) {
        return s.received.stream().filter(e -> "error".equals(e.attribute("type")))
                .map(e -> e.child("error", "jabber:client").flatMap(Element::firstChild).map(Element::name).orElse("?")).toList();
    }

    @Test
    void aHookThatThrowsFailsClosed() {
        FakeSession bob = add(BOB.withResource("a"), "1");
        StanzaRouter r = router();
        r.addHook((stanza, origin) -> { throw new IllegalStateException("database down"); }, Map.of(StanzaHook.POINT, StanzaHook.INBOUND, "service.id", 2L));
        r.route(message("bob@example.org"), alice);
        assertThat(bob.received).isEmpty();
        assertThat(errors(alice)).containsExactly("internal-server-error");
    }

    @Test
    void inboundFiltersChangeOrDropAStanzaOnceBeforeResourcesAreChosen() {
        FakeSession bob1 = add(BOB.withResource("a"), "1"), bob2 = add(BOB.withResource("b"), "1");
        StanzaRouter r = router();
        int[] calls = {0};
        r.addFilter((stanza, context) -> {
            calls[0]++;
            return stanza.toBuilder().child(Element.builder("stanza-id", "urn:xmpp:sid:0").attribute("id", "42").build()).build();
        }, Map.of(StanzaFilter.POINT, StanzaFilter.INBOUND, "service.id", 3L));
        r.route(message("bob@example.org"), alice);
        assertThat(calls[0]).isEqualTo(1);
        for (FakeSession b : List.of(bob1, bob2)) assertThat(b.received.getFirst().child("stanza-id", "urn:xmpp:sid:0")).isPresent();

        r.addFilter((stanza, context) -> null, Map.of(StanzaFilter.POINT, StanzaFilter.OUTBOUND, "service.id", 4L));
        r.route(message("bob@example.org"), alice);
        assertThat(bob1.received).hasSize(1);
        assertThat(alice.received).isEmpty(); // dropped silently
    }

    @Test
    void aFilterThatThrowsFailsClosed() {
        FakeSession bob = add(BOB.withResource("a"), "1");
        StanzaRouter r = router();
        r.addFilter((stanza, context) -> { throw new IllegalStateException("archive down"); }, Map.of(StanzaFilter.POINT, StanzaFilter.INBOUND, "service.id", 3L));
        r.route(message("bob@example.org"), alice);
        assertThat(bob.received).isEmpty();
        assertThat(errors(alice)).containsExactly("internal-server-error");
    }

    @Test
    void deliveryListenersLearnWhichSessionGotTheStanzaAndSeeTheContextFlags() {
        FakeSession bob = add(BOB.withResource("a"), "1");
        StanzaRouter r = router();
        List<String> seen = new ArrayList<>();
        r.addListener((stanza, target, context) -> seen.add(target.jid() + " " + context.flagged("carbon")));
        r.route(message("bob@example.org"), alice);
        r.deliver(message("bob@example.org/a"), StanzaContext.of(alice).meta("carbon", true));
        assertThat(seen).containsExactly("bob@example.org/a false", "bob@example.org/a true");
        assertThat(bob.received).hasSize(2);
    }

    @Test
    void aServiceGetsEverythingForItsDomainAndJidsUnderItAndOtherDomainsGoToTheRemoteRouter() {
        StanzaRouter r = router();
        List<String> service = new ArrayList<>();
        r.addService((stanza, origin) -> service.add(stanza.attribute("to") + " from " + origin.jid()),
                Map.of(DomainService.DOMAIN, "conference.example.org"));
        r.route(message("room@conference.example.org/nick"), alice);
        r.route(Element.builder("iq", "jabber:client").attribute("from", ALICE.toString()).attribute("to", "conference.example.org")
                .attribute("type", "get").attribute("id", "d1").child(Element.of("query", "http://jabber.org/protocol/disco#info")).build(), alice);
        assertThat(service).containsExactly("room@conference.example.org/nick from " + ALICE, "conference.example.org from " + ALICE);

        r.route(message("someone@elsewhere.net"), alice);
        assertThat(errors(alice)).containsExactly("remote-server-not-found");
        List<String> remote = new ArrayList<>();
        r.remote((stanza, origin) -> remote.add(stanza.attribute("to")));
        r.route(message("someone@elsewhere.net"), alice);
        assertThat(remote).containsExactly("someone@elsewhere.net");
        assertThat(errors(alice)).hasSize(1);

        // the remote hook point sees what leaves for another server first, and may keep it here (XEP-0191)
        List<String> seen = new ArrayList<>();
        r.addHook((stanza, origin) -> {
            seen.add(stanza.attribute("to"));
            return stanza.attribute("to").startsWith("blocked");
        }, Map.of(StanzaHook.POINT, StanzaHook.REMOTE, "service.id", 9L));
        r.route(message("blocked@elsewhere.net"), alice);
        r.route(message("friend@elsewhere.net"), alice);
        assertThat(seen).containsExactly("blocked@elsewhere.net", "friend@elsewhere.net");
        assertThat(remote).containsExactly("someone@elsewhere.net", "friend@elsewhere.net");

    }

    @Test
    void aServiceCanSendAsItselfWithoutASession() {
        FakeSession bob = add(BOB.withResource("a"), "1");
        StanzaRouter r = router();
        List<Element> replies = new ArrayList<>();
        Origin room = Origin.of(Jid.of("room@conference.example.org"), replies::add);
        r.deliver(Element.builder("message", "jabber:client").attribute("from", "room@conference.example.org/alice")
                .attribute("to", "bob@example.org/a").attribute("type", "groupchat").build(), room);
        r.deliver(Element.builder("message", "jabber:client").attribute("from", "room@conference.example.org/alice")
                .attribute("to", "bob@example.org/gone").attribute("type", "groupchat").build(), room);
        assertThat(bob.received).hasSize(1);
        assertThat(replies).hasSize(1);
        assertThat(replies.getFirst().attribute("type")).isEqualTo("error");
    }

    @Test
    void theServersOwnRequestCompletesWithTheClientsAnswerOrTimesOut() throws Exception {
        FakeSession bob = add(BOB.withResource("a"), "1");
        StanzaRouter r = router();
        CompletableFuture<Element> answer = r.request(Element.builder("iq", "jabber:client").attribute("to", "bob@example.org/a")
                .attribute("type", "get").child(Element.of("ping", "urn:xmpp:ping")).build(), Duration.ofSeconds(5)).toCompletableFuture();
        Element asked = bob.received.getFirst();
        assertThat(asked.attribute("from")).isEqualTo("example.org");
        assertThat(answer).isNotDone();
        // another resource cannot answer for bob/a
        FakeSession other = add(BOB.withResource("b"), "1");
        r.route(Element.builder("iq", "jabber:client").attribute("from", other.jid().toString()).attribute("to", "example.org")
                .attribute("type", "result").attribute("id", asked.attribute("id")).build(), other);
        assertThat(answer).isNotDone();
        r.route(Element.builder("iq", "jabber:client").attribute("from", bob.jid().toString()).attribute("to", "example.org")
                .attribute("type", "result").attribute("id", asked.attribute("id")).build(), bob);
        assertThat(answer.get(1, TimeUnit.SECONDS).attribute("type")).isEqualTo("result");

        CompletableFuture<Element> gone = r.request(Element.builder("iq", "jabber:client").attribute("to", "bob@example.org/gone")
                .attribute("type", "get").child(Element.of("ping", "urn:xmpp:ping")).build(), Duration.ofSeconds(5)).toCompletableFuture();
        assertThat(gone.get(1, TimeUnit.SECONDS).attribute("type")).isEqualTo("error");

        CompletableFuture<Element> silent = r.request(Element.builder("iq", "jabber:client").attribute("to", "bob@example.org/a")
                .attribute("type", "get").child(Element.of("ping", "urn:xmpp:ping")).build(), Duration.ofMillis(50)).toCompletableFuture();
        assertThatThrownBy(() -> silent.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(TimeoutException.class);
    }

    static Element iq(String to, String ns) {
        Element.Builder b = Element.builder("iq", "jabber:client").attribute("from", ALICE.toString()).attribute("type", "get").attribute("id", "t1")
                .child(Element.of("query", ns));
        if (to != null) b.attribute("to", to);
        return b.build();
    }

    /** Columns: the handler's targets, the IQ's 'to', what Alice gets back (a result or an error condition). */
    static Stream<Arguments> targets() {
        return Stream.of(
                Arguments.of("SERVER", null, "result"), Arguments.of("SERVER", "example.org", "result"),
                Arguments.of("SERVER", "alice@example.org", "service-unavailable"), Arguments.of("SERVER", "bob@example.org", "service-unavailable"),
                Arguments.of("SELF", null, "result"), Arguments.of("SELF", "alice@example.org", "result"),
                Arguments.of("SELF", "example.org", "service-unavailable"), Arguments.of("SELF", "bob@example.org", "forbidden"),
                Arguments.of("ACCOUNT", null, "result"), Arguments.of("ACCOUNT", "alice@example.org", "result"),
                Arguments.of("ACCOUNT", "bob@example.org", "result"), Arguments.of("ACCOUNT", "example.org", "service-unavailable"),
                Arguments.of("", "bob@example.org", "result"), Arguments.of("", "example.org", "result"));
    }

    @ParameterizedTest(name = "target={0} to={1} -> {2}")
    @MethodSource("targets")
    void anIqRouteDeclaresWhomItAnswersFor(String target, String to, String expect) {
        StanzaRouter r = router();
        Map<String, Object> props = new HashMap<>(Map.of("strata.iq.namespace", "urn:example", "strata.iq.type", new String[] {"get"}, "service.id", 5L));
        if (!target.isEmpty()) props.put("strata.iq.target", new String[] {target});
        r.addHandler((iq, from) -> null, props);
        r.route(iq(to, "urn:example"), alice);
        Element answer = alice.received.getFirst();
        assertThat("result".equals(answer.attribute("type")) ? "result" : errors(alice).getFirst()).isEqualTo(expect);
    }
}
