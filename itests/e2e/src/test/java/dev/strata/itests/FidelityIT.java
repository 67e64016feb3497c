package dev.strata.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import dev.strata.itests.StreamManagementIT.Raw;

/**
 * RFC 6121 details a mobile client relies on, over raw streams: a message to the bare JID while
 * the only resource has not sent initial presence waits and comes at initial presence with its
 * delay stamp (§8.5.2.2.1, XEP-0160); a subscription request keeps its children while it waits
 * (§3.1.3: XEP-0172 nick); blocking a contact makes its resources unavailable for the blocker
 * (XEP-0191 §3.3).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FidelityIT {
    private StrataServer server;

    @BeforeAll
    void start() throws Exception {
        Path home = StrataServer.freshHome("fidelity-it", "ivy", "jay", "kim", "lou");
        server = StrataServer.start(home, home.resolve("data"), Map.of());
    }

    @AfterAll
    void stop() throws Exception {
        if (server != null) server.close();
    }

    @Test
    void aBareJidMessageBeforeInitialPresenceComesAtInitialPresenceWithItsStamp() throws Exception {
        try (Raw ivy = Raw.bound(server, "ivy", "phone"); Raw jay = Raw.bound(server, "jay", "desk")) {
            jay.send("<message type='chat' to='ivy@localhost' id='early'><body>before your presence</body></message>"
                    + "<iq type='get' id='routed'><ping xmlns='urn:xmpp:ping'/></iq>");
            assertThat(jay.await("routed", s -> s.contains("id=\"routed\""))).doesNotContain("type=\"error\"");
            ivy.send("<iq type='get' id='quiet'><ping xmlns='urn:xmpp:ping'/></iq>");
            assertThat(ivy.await("the ping's answer", s -> s.contains("id=\"quiet\""))).as("not yet: no initial presence").doesNotContain("before your presence");
            ivy.send("<presence/>");
            String got = ivy.await("the message", s -> s.contains("before your presence"));
            assertThat(got).contains("<delay xmlns=\"urn:xmpp:delay\"");
        }
    }

    @Test
    void aWaitingSubscriptionRequestKeepsItsNick() throws Exception {
        try (Raw kim = Raw.bound(server, "kim", "laptop")) {
            kim.send("<presence to='lou@localhost' type='subscribe'><nick xmlns='http://jabber.org/protocol/nick'>Kimberly</nick></presence>"
                    + "<iq type='get' id='sent'><ping xmlns='urn:xmpp:ping'/></iq>");
            kim.await("sent", s -> s.contains("id=\"sent\""));
        }
        try (Raw lou = Raw.bound(server, "lou", "phone")) {
            lou.send("<presence/>");
            String got = lou.await("the waiting request", s -> s.contains("type=\"subscribe\"") && s.contains("</presence>"));
            assertThat(got).contains("from=\"kim@localhost\"").contains("<nick xmlns=\"http://jabber.org/protocol/nick\">Kimberly</nick>");
        }
    }

    @Test
    void blockingAContactMakesItsResourcesUnavailableForTheBlocker() throws Exception {
        try (Raw ivy = Raw.bound(server, "ivy", "tablet"); Raw jay = Raw.bound(server, "jay", "laptop")) {
            ivy.send("<presence/>");
            jay.send("<presence/><presence to='ivy@localhost/tablet'><status>here</status></presence>");
            ivy.await("jay's directed presence", s -> s.contains("<status>here</status>"));
            ivy.send("<iq type='set' id='block'><block xmlns='urn:xmpp:blocking'><item jid='jay@localhost'/></block></iq>");
            String got = ivy.await("the block's answer and jay going unavailable", s -> s.contains("id=\"block\"") && s.contains("type=\"unavailable\""));
            assertThat(got).contains("from=\"jay@localhost/laptop\"");
            ivy.send("<iq type='set' id='unblock'><unblock xmlns='urn:xmpp:blocking'/></iq>");
            ivy.await("unblocked", s -> s.contains("id=\"unblock\""));
        }
    }
}
