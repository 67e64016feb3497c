package dev.strata.xep0160;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.strata.api.Jid;
import dev.strata.api.stream.BindExtension;
import dev.strata.api.xml.Element;
import dev.strata.testkit.Configs;
import dev.strata.testkit.FakeRegistry;
import dev.strata.testkit.FakeSession;
import dev.strata.testkit.MemoryStore;

/** XEP-0160 1.0.1 offline storage, with the XEP-0334 hints and XEP-0203 stamps. */
class OfflineMessagesTest {
    static final String CLIENT = "jabber:client";
    final MemoryStore store = new MemoryStore();
    final OfflineMessages offline = new OfflineMessages(Configs.of(OfflineMessages.Config.class, Map.of("max.messages", 2)), store);
    final FakeSession carol = new FakeSession("carol@example.org/phone");

    static Element message(Element... payload) {
        return Element.builder("message", CLIENT).attribute("from", "carol@example.org/phone").attribute("to", "dave@example.org")
                .attribute("type", "chat").children(java.util.List.of(payload)).build();
    }

    static Element body() {
        return Element.builder("body", CLIENT).text("hi").build();
    }

    /** Columns: the message's payload, whether it is kept. */
    static Stream<Arguments> rules() {
        return Stream.of(
                Arguments.of("a body", new Element[] {body()}, true),
                Arguments.of("a chat state alone (XEP-0085 §5.6)", new Element[] {Element.of("composing", OfflineMessages.CHAT_STATES)}, false),
                Arguments.of("a body with a chat state", new Element[] {body(), Element.of("active", OfflineMessages.CHAT_STATES)}, true),
                Arguments.of("no-store hint (XEP-0334 §4.3)", new Element[] {body(), Element.of("no-store", OfflineMessages.HINTS)}, false),
                Arguments.of("no-permanent-store hint", new Element[] {body(), Element.of("no-permanent-store", OfflineMessages.HINTS)}, false),
                Arguments.of("store hint on a chat state (XEP-0334 §4.4)",
                        new Element[] {Element.of("gone", OfflineMessages.CHAT_STATES), Element.of("store", OfflineMessages.HINTS)}, true),
                Arguments.of("nothing at all", new Element[] {}, false));
    }

    @ParameterizedTest(name = "{0}: kept={2}")
    @MethodSource("rules")
    void keepsWhatALaterReaderNeeds(String what, Element[] payload, boolean kept) {
        assertThat(OfflineMessages.worthKeeping(message(payload))).isEqualTo(kept);
    }

    @Test
    void storesWithADelayStampAndDeliversOldestFirstAtInitialPresence() {
        assertThat(offline.handle(message(body()), carol)).isTrue();
        assertThat(offline.handle(message(Element.builder("body", CLIENT).text("second").build()), carol)).isTrue();
        FakeSession dave = new FakeSession("dave@example.org/laptop").available(0);
        assertThat(offline.handle(Element.of("presence", CLIENT), dave)).as("other hooks of the point still run").isFalse();
        assertThat(dave.received).hasSize(2);
        assertThat(dave.received.getFirst().child("body", CLIENT).orElseThrow().text()).isEqualTo("hi");
        Element delay = dave.received.getFirst().child("delay", OfflineMessages.DELAY).orElseThrow();
        assertThat(delay.attribute("from")).isEqualTo("example.org");
        assertThat(delay.attribute("stamp")).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
        assertThat(store.keys(dave.jid(), "offline")).as("forgotten once delivered").isEmpty();
    }

    /** XEP-0386 §3: a session that synchronises from the archive is not sent what the archive holds; the rest it gets. */
    @Test
    void aSessionSynchronisingFromTheArchiveGetsOnlyWhatTheArchiveLacks() {
        Element archived = message(body(), Element.builder("stanza-id", OfflineMessages.STANZA_ID).attribute("id", "a1").attribute("by", "dave@example.org").build());
        Element foreignId = message(Element.builder("body", CLIENT).text("not ours").build(),
                Element.builder("stanza-id", OfflineMessages.STANZA_ID).attribute("id", "x").attribute("by", "elsewhere.example").build());
        OfflineMessages roomy = new OfflineMessages(Configs.of(OfflineMessages.Config.class, Map.of("max.messages", 500)), store);
        roomy.handle(archived, carol);
        roomy.handle(foreignId, carol);
        FakeSession phone = new FakeSession("dave@example.org/phone").available(0);
        phone.attribute(BindExtension.ARCHIVE_SYNC, Boolean.TRUE);
        roomy.handle(Element.of("presence", CLIENT), phone);
        assertThat(phone.received).hasSize(1);
        assertThat(phone.received.getFirst().child("body", CLIENT).orElseThrow().text()).isEqualTo("not ours");
        assertThat(store.keys(phone.jid(), "offline")).as("both forgotten: one delivered, one left to the archive").isEmpty();

        roomy.handle(archived, carol);
        FakeSession laptop = new FakeSession("dave@example.org/laptop").available(0);
        roomy.handle(Element.of("presence", CLIENT), laptop);
        assertThat(laptop.received).as("a session that did not bind with Bind 2 gets everything").hasSize(1);
    }

    /** A message stored just after a session came online and read its mailbox is handed to that session at once. */
    @Test
    void aMessageThatCrossedTheInitialPresenceIsHandedToTheSessionAtOnce() throws ReflectiveOperationException {
        FakeRegistry registry = new FakeRegistry();
        java.lang.reflect.Field f = OfflineMessages.class.getDeclaredField("sessions");
        f.setAccessible(true);
        f.set(offline, registry);
        FakeSession dave = registry.add(new FakeSession("dave@example.org/laptop").available(0));
        offline.handle(Element.of("presence", CLIENT), dave); // its mailbox read: empty
        assertThat(offline.handle(message(body()), carol)).isTrue(); // routed while it was not yet available, stored now
        assertThat(dave.received).hasSize(1);
        assertThat(store.keys(dave.jid(), "offline")).isEmpty();
        FakeSession away = new FakeSession("erin@example.org/bot").available(-1);
        registry.add(away);
        offline.handle(Element.builder("message", CLIENT).attribute("from", "carol@example.org/phone").attribute("to", "erin@example.org")
                .attribute("type", "chat").child(body()).build(), carol);
        assertThat(away.received).as("a negative priority takes no offline messages").isEmpty();
    }

    @Test
    void aNegativePriorityDoesNotTakeOfflineMessages() {
        offline.handle(message(body()), carol);
        FakeSession dave = new FakeSession("dave@example.org/bot").available(-1);
        offline.handle(Element.of("presence", CLIENT), dave);
        assertThat(dave.received).isEmpty();
    }

    @Test
    void aFullStorageRefusesWithServiceUnavailable() {
        for (int i = 0; i < 3; i++) offline.handle(message(body()), carol);
        assertThat(carol.received).hasSize(1);
        assertThat(carol.received.getFirst().attribute("type")).isEqualTo("error");
        assertThat(carol.received.getFirst().toXml()).contains("service-unavailable", "offline storage is full");
    }

    @Test
    void aMailboxIsBoundInCharactersTooNotOnlyInMessages() {
        OfflineMessages small = new OfflineMessages(Configs.of(OfflineMessages.Config.class, Map.of("max.messages", 500, "max.chars", 2500L)), store);
        Element big = message(Element.builder("body", CLIENT).text("x".repeat(800)).build());
        small.handle(big, carol);
        small.handle(big, carol);
        assertThat(carol.received).isEmpty();
        small.handle(big, carol);
        assertThat(carol.received).hasSize(1);
        assertThat(carol.received.getFirst().toXml()).contains("service-unavailable", "offline storage is full");
        assertThat(store.usage(Jid.of("dave@example.org"), "offline").documents()).isEqualTo(2);
    }

    @Test
    void aMessageTooLargeToStoreIsRefusedWithPolicyViolationAndTheMailboxLivesOn() {
        OfflineMessages roomy = new OfflineMessages(Configs.of(OfflineMessages.Config.class, Map.of("max.messages", 500, "max.chars", 100_000_000L)), store);
        roomy.handle(message(body()), carol);
        roomy.handle(message(Element.builder("body", CLIENT).text(">".repeat(300_000)).build()), carol); // 1.2 million characters as &gt;
        assertThat(carol.received).hasSize(1);
        assertThat(carol.received.getFirst().toXml()).contains("policy-violation", "too large to keep");
        roomy.handle(message(Element.builder("body", CLIENT).text("after").build()), carol);
        FakeSession dave = new FakeSession("dave@example.org/laptop").available(0);
        roomy.handle(Element.of("presence", CLIENT), dave);
        assertThat(dave.received).extracting(m -> m.child("body", CLIENT).orElseThrow().text()).containsExactly("hi", "after");
    }

    @Test
    void aLargeMailboxIsDeliveredPageByPageInOrder() {
        OfflineMessages roomy = new OfflineMessages(Configs.of(OfflineMessages.Config.class, Map.of("max.messages", 500)), store);
        int n = OfflineMessages.PAGE * 2 + 7;
        for (int i = 0; i < n; i++) roomy.handle(message(Element.builder("body", CLIENT).text("m" + i).build()), carol);
        FakeSession dave = new FakeSession("dave@example.org/laptop").available(0);
        roomy.handle(Element.of("presence", CLIENT), dave);
        assertThat(dave.received).hasSize(n);
        for (int i = 0; i < n; i++) assertThat(dave.received.get(i).child("body", CLIENT).orElseThrow().text()).isEqualTo("m" + i);
        assertThat(store.usage(dave.jid(), "offline").documents()).isZero();
    }
}
