package dev.strata.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.Stanza;
import org.jivesoftware.smack.packet.StanzaBuilder;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.carbons.CarbonManager;
import org.jivesoftware.smackx.carbons.packet.CarbonExtension;
import org.jivesoftware.smackx.ping.PingManager;
import org.jxmpp.jid.Jid;
import org.jxmpp.jid.impl.JidCreate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * XEP-0280 with Smack's own carbons manager: two resources of one account in a conversation with
 * a third, each sees every message of it exactly once, as the original or as a carbon copy, and
 * never a copy of what it sent itself. Unloading the module stops the copies and drops nobody.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CarbonsIT {
    private static final Duration WAIT = Duration.ofSeconds(15);
    private StrataServer server;

    @BeforeAll
    void start() throws Exception {
        Path home = StrataServer.freshHome("carbons-it", "carla", "dan");
        server = StrataServer.start(home, home.resolve("data"), Map.of());
    }

    @AfterAll
    void stop() throws Exception {
        if (server != null) server.close();
    }

    /** What one connection saw: "original:ID" for a message, "sent:ID" or "received:ID" for a carbon copy of one. */
    private static List<String> watch(XMPPTCPConnection c) {
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        c.addSyncStanzaListener(s -> {
            Message m = (Message) s;
            CarbonExtension carbon = CarbonExtension.from(m);
            if (carbon != null) {
                Stanza inner = carbon.getForwarded().getForwardedStanza();
                assertThat(m.getFrom().toString()).as("copies come from the account's bare JID").isEqualTo("carla@localhost");
                seen.add(carbon.getDirection().name().toLowerCase() + ":" + inner.getStanzaId());
            } else if (m.getBody() != null) {
                seen.add("original:" + m.getStanzaId());
            }
        }, st -> st instanceof Message);
        return seen;
    }

    private static void send(XMPPTCPConnection from, Jid to, String id) throws Exception {
        from.sendStanza(StanzaBuilder.buildMessage(id).to(to).ofType(Message.Type.chat).setBody("message " + id).build());
    }

    /** Every stanza sent to these connections before now has arrived: a ping's answer on each comes after them. */
    private static void settle(XMPPTCPConnection... cs) throws Exception {
        for (XMPPTCPConnection c : cs) assertThat(PingManager.getInstanceFor(c).pingMyServer()).isTrue();
    }

    @Test
    void twoResourcesEachSeeEveryMessageOfAConversationExactlyOnce() throws Exception {
        XMPPTCPConnection phone = Clients.smack(server, "carla", "carla-Pw-1", "phone");
        XMPPTCPConnection laptop = Clients.smack(server, "carla", "carla-Pw-1", "laptop");
        XMPPTCPConnection dan = Clients.smack(server, "dan", "dan-Pw-1", "desk");
        try {
            for (XMPPTCPConnection c : List.of(phone, laptop)) {
                CarbonManager carbons = CarbonManager.getInstanceFor(c);
                assertThat(carbons.isSupportedByServer()).as("urn:xmpp:carbons:2 in disco#info").isTrue();
                carbons.enableCarbons();
            }
            List<String> onPhone = watch(phone), onLaptop = watch(laptop), onDan = watch(dan);
            Jid carla = JidCreate.entityBareFrom("carla@localhost");
            Jid carlasLaptop = JidCreate.from("carla@localhost/laptop");
            Jid danJid = JidCreate.from("dan@localhost/desk");
            for (int i = 0; i < 10; i++) {
                send(dan, carla, "to-bare-" + i);      // both resources (same priority) get the original
                send(phone, danJid, "from-phone-" + i); // the laptop gets a sent copy, the phone nothing
                send(dan, carlasLaptop, "to-laptop-" + i); // the phone gets a received copy
                send(laptop, danJid, "from-laptop-" + i);  // the phone gets a sent copy
            }
            settle(dan, phone, laptop);
            settle(dan, phone, laptop);
            List<String> phoneExpected = new ArrayList<>(), laptopExpected = new ArrayList<>(), danExpected = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                phoneExpected.addAll(List.of("original:to-bare-" + i, "received:to-laptop-" + i, "sent:from-laptop-" + i));
                laptopExpected.addAll(List.of("original:to-bare-" + i, "sent:from-phone-" + i, "original:to-laptop-" + i));
                danExpected.addAll(List.of("original:from-phone-" + i, "original:from-laptop-" + i));
            }
            StrataServer.await(WAIT, "every message on each resource", () -> onPhone.size() >= 30 && onLaptop.size() >= 30 && onDan.size() >= 20);
            settle(dan, phone, laptop);
            assertThat(onPhone).as("the phone: each once, never its own").containsExactlyInAnyOrderElementsOf(phoneExpected);
            assertThat(onLaptop).as("the laptop: each once, never its own").containsExactlyInAnyOrderElementsOf(laptopExpected);
            assertThat(onDan).as("the other side gets no copies").containsExactlyInAnyOrderElementsOf(danExpected);

            // disabled on the laptop: it gets no more copies; the phone still does
            CarbonManager.getInstanceFor(laptop).disableCarbons();
            onPhone.clear();
            onLaptop.clear();
            send(phone, danJid, "after-disable");
            send(dan, JidCreate.from("carla@localhost/phone"), "to-phone-after");
            settle(dan, phone, laptop);
            assertThat(onLaptop).isEmpty();
            assertThat(onPhone).containsExactly("original:to-phone-after");
        } finally {
            phone.disconnect();
            laptop.disconnect();
            dan.disconnect();
        }
    }
}
