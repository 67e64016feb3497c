package dev.strata.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import dev.strata.itests.StreamManagementIT.Raw;

/**
 * XEP-0357 against the assembled server, with a local account's session as the app server: a
 * phone whose connection is lost (stream management keeps its session) and then an offline
 * account each get a push per message, with the publish options and without the body; an app
 * server that does not answer gets the push again; one that answers with an error loses the
 * registration.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PushIT {
    private StrataServer server;

    @BeforeAll
    void start() throws Exception {
        Path home = StrataServer.freshHome("push-it", "gail", "hal", "pushsrv");
        Files.writeString(home.resolve("config/stack/04-protocol/strata.xep0357.cfg"), "timeout = 1\n");
        server = StrataServer.start(home, home.resolve("data"), Map.of());
    }

    @AfterAll
    void stop() throws Exception {
        if (server != null) server.close();
    }

    private static String pushId(String iq) {
        Matcher m = Pattern.compile("<iq [^>]*\\sid=\"([^\"]+)\"").matcher(iq);
        assertThat(m.find()).as("an IQ: %s", iq).isTrue();
        return m.group(1);
    }

    @Test
    void aSleepingPhoneAndAnOfflineAccountArePushedAndAnErrorDropsTheRegistration() throws Exception {
        try (Raw app = Raw.bound(server, "pushsrv", "app"); Raw hal = Raw.bound(server, "hal", "desk")) {
            try (Raw phone = Raw.bound(server, "gail", "phone")) {
                phone.send("<iq type='get' id='disco' to='gail@localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
                assertThat(phone.await("disco#info", s -> s.contains("id=\"disco\""))).contains("var=\"urn:xmpp:push:0\"");
                phone.send("<iq type='set' id='bad'><enable xmlns='urn:xmpp:push:0' jid='pushsrv@localhost/app'/></iq>");
                assertThat(phone.await("an error", s -> s.contains("id=\"bad\""))).as("no node").contains("type=\"error\"").contains("<bad-request");
                phone.send("<iq type='set' id='en'><enable xmlns='urn:xmpp:push:0' jid='pushsrv@localhost/app' node='device-1'>"
                        + "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/pubsub#publish-options</value></field>"
                        + "<field var='secret'><value>tok3n</value></field></x></enable></iq>");
                assertThat(phone.await("enabled", s -> s.contains("id=\"en\""))).contains("type=\"result\"");
                phone.send("<enable xmlns='urn:xmpp:sm:3' resume='true'/><presence/>");
                phone.await("<enabled/>", s -> s.contains("<enabled"));
                phone.cut();
            }
            Thread.sleep(300); // the server notices the connection is gone
            hal.send("<message type='chat' to='gail@localhost/phone' id='one'><body>are you there?</body></message>");
            String push = app.await("a push for the sleeping phone", s -> s.contains("</iq>"));
            assertThat(push).contains("from=\"gail@localhost\"").contains("node=\"device-1\"").contains("urn:xmpp:push:summary")
                    .contains("<value>1</value>").contains("hal@localhost/desk").contains("tok3n").doesNotContain("are you there?");
            app.send("<iq type='result' id='" + pushId(push) + "' to='gail@localhost'/>");

            // no answer: the same push comes again
            hal.send("<message type='chat' to='gail@localhost/phone' id='two'><body>hello?</body></message>");
            String first = app.await("the second push", s -> s.contains("</iq>"));
            assertThat(first).contains("<value>2</value>");
            String again = app.await("the same push again, unanswered", s -> s.contains("</iq>"));
            assertThat(again).contains("<value>2</value>");
            app.send("<iq type='result' id='" + pushId(again) + "' to='gail@localhost'/>");

            // the phone's session ends (logged in afresh and out): offline messages are pushed; an error drops the registration
            try (Raw fresh = Raw.bound(server, "gail", "phone")) {
                fresh.send("<presence/><presence type='unavailable'/></stream:stream>");
                fresh.await("the end of the stream", s -> s.contains("</stream:stream>"));
            }
            Thread.sleep(300);
            hal.send("<message type='chat' to='gail@localhost' id='three'><body>offline now</body></message>");
            String offline = app.await("a push for the offline account", s -> s.contains("</iq>"));
            assertThat(offline).contains("node=\"device-1\"");
            app.send("<iq type='error' id='" + pushId(offline) + "' to='gail@localhost'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>");
            Thread.sleep(500);
            hal.send("<message type='chat' to='gail@localhost' id='four'><body>still there?</body></message>"
                    + "<iq type='get' id='routed'><ping xmlns='urn:xmpp:ping'/></iq>");
            hal.await("routed", s -> s.contains("id=\"routed\""));
            app.send("<iq type='get' id='settled'><ping xmlns='urn:xmpp:ping'/></iq>");
            String after = app.await("nothing but the ping's answer", s -> s.contains("id=\"settled\""));
            assertThat(after).as("the registration was dropped").doesNotContain("urn:xmpp:push");
        }
    }
}
