package dev.strata.itests;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jivesoftware.smack.filter.StanzaTypeFilter;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.jxmpp.jid.parts.Resourcepart;

import dev.strata.api.auth.ScramHash;
import dev.strata.bench.RawXmppClient;

/**
 * XEP-0198 over real sockets against the assembled server: a phone whose TCP connection is cut
 * while 100 messages come for it resumes and gets each exactly once; when it does not come back
 * within its resume window, the 100 wait in offline storage, each with a delay stamp; and every
 * bad input gets the error the XEP names.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StreamManagementIT {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final int MESSAGES = 100;
    private StrataServer server;
    private Path home;

    @BeforeAll
    void start() throws Exception {
        home = StrataServer.freshHome("sm-it", "phone", "tablet", "writer", "mistake", "hoarder", "traveller");
        // at most 150 unacknowledged here for 3 s (500 for 60 s by default), so a client that never acks is cut off
        // by the 100 messages of a test and a half
        Files.writeString(home.resolve("config/stack/02-stream/strata.xep0198.cfg"), "max.unacked = 150\nack.timeout = 3\n");
        server = StrataServer.start(home, home.resolve("data"), Map.of());
    }

    @AfterAll
    void stop() throws Exception {
        if (server != null) server.close();
    }

    /** A raw client stream: what it read so far, and reads until what it waits for has come. */
    static final class Raw implements AutoCloseable {
        final RawXmppClient.Login login;
        final StringBuilder read = new StringBuilder();
        private int consumed;

        Raw(RawXmppClient.Login login) {
            this.login = login;
        }

        static Raw authenticated(StrataServer server, String user) throws Exception {
            return authenticatedWith(server, user, user + "-Pw-1");
        }

        static Raw authenticatedWith(StrataServer server, String user, String password) throws Exception {
            RawXmppClient.Login l = RawXmppClient.authenticate(server.c2sPort, false, user, password, ScramHash.SHA_256, null);
            assertThat(l.success()).as("login of %s: %s", user, l.transcript()).isTrue();
            Raw r = new Raw(l);
            r.read.append(l.transcript());
            r.consumed = r.read.length();
            return r;
        }

        static Raw bound(StrataServer server, String user, String resource) throws Exception {
            return boundWith(server, user, user + "-Pw-1", resource);
        }

        static Raw boundWith(StrataServer server, String user, String password, String resource) throws Exception {
            Raw r = authenticatedWith(server, user, password);
            r.send("<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>" + resource + "</resource></bind></iq>");
            r.await("bound", s -> s.contains("</jid>"));
            return r;
        }

        void send(String xml) throws IOException {
            login.socket().getOutputStream().write(xml.getBytes(UTF_8));
            login.socket().getOutputStream().flush();
        }

        /** Reads until {@code done} holds for what came since the last await; returns that. */
        String await(String what, Predicate<String> done) throws IOException {
            long deadline = System.nanoTime() + WAIT.toNanos();
            byte[] buf = new byte[65536];
            login.socket().setSoTimeout(250);
            while (!done.test(read.substring(consumed))) {
                if (System.nanoTime() > deadline) throw new AssertionError("no " + what + " within " + WAIT + "; read: " + read.substring(consumed));
                try {
                    int n = login.socket().getInputStream().read(buf);
                    if (n < 0) {
                        if (done.test(read.substring(consumed))) break;
                        throw new AssertionError("the stream ended before " + what + "; read: " + read.substring(consumed));
                    }
                    read.append(new String(buf, 0, n, UTF_8));
                } catch (SocketTimeoutException e) {
                    // poll again
                }
            }
            String got = read.substring(consumed);
            consumed = read.length();
            return got;
        }

        /** Closes the socket without a closing stream tag, as a phone losing its network does. */
        void cut() throws IOException {
            login.socket().setSoLinger(true, 0);
            login.socket().close();
        }

        @Override
        public void close() throws IOException {
            login.socket().close();
        }
    }

    private static String enabledId(String answer) {
        Matcher m = Pattern.compile("<enabled [^>]*id=\"([^\"]+)\"").matcher(answer);
        assertThat(m.find()).as("enabled: %s", answer).isTrue();
        return m.group(1);
    }

    /** Message ids in what was read, in order. */
    private static List<String> messageIds(String xml) {
        List<String> ids = new ArrayList<>();
        Matcher m = Pattern.compile("<message [^>]*id=\"(sm-\\d+)\"").matcher(xml);
        while (m.find()) ids.add(m.group(1));
        return ids;
    }

    /** Stanzas in a piece of the stream, as a client counts them for its 'h' (nothing here nests a stanza in another). */
    private static int stanzas(String xml) {
        Matcher m = Pattern.compile("<(message|presence|iq)[ >/]").matcher(xml);
        int n = 0;
        while (m.find()) n++;
        return n;
    }

    private static List<String> expected(String prefix) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < MESSAGES; i++) ids.add(prefix + i);
        return ids;
    }

    /** {@code writer} sends 100 chat messages to {@code to}, then waits until the server has routed them all (a ping's answer). */
    private void hundredMessagesTo(String to) throws Exception {
        try (Raw writer = Raw.bound(server, "writer", "desk")) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < MESSAGES; i++) {
                sb.append("<message type='chat' id='sm-").append(i).append("' to='").append(to).append("'><body>number ").append(i).append("</body></message>");
            }
            writer.send(sb + "<iq type='get' id='routed'><ping xmlns='urn:xmpp:ping'/></iq>");
            String answer = writer.await("the ping's answer", s -> s.contains("id=\"routed\""));
            assertThat(answer).as("no message bounced").doesNotContain("type=\"error\"");
        }
    }

    @Test
    void aCutConnectionResumesAndGetsEachMessageExactlyOnce() throws Exception {
        String id;
        int received;
        try (Raw phone = Raw.bound(server, "phone", "pocket")) {
            phone.send("<enable xmlns='urn:xmpp:sm:3' resume='true'/>");
            String enabled = phone.await("<enabled/>", s -> s.contains("<enabled"));
            assertThat(enabled).contains("resume=\"true\"").contains("max=\"300\"");
            id = enabledId(enabled);
            phone.send("<presence/><r xmlns='urn:xmpp:sm:3'/>");
            String acked = phone.await("an ack", s -> s.contains("<a "));
            assertThat(acked).as("the presence was counted").contains("h=\"1\"");
            received = stanzas(acked); // the server may have sent the phone its own presence
            phone.cut();
        }
        hundredMessagesTo("phone@localhost/pocket");

        try (Raw again = Raw.authenticated(server, "phone")) {
            again.send("<resume xmlns='urn:xmpp:sm:3' previd='" + id + "' h='" + received + "'/>");
            String got = again.await("the 100 messages", s -> s.contains("<resumed") && messageIds(s).size() >= MESSAGES);
            assertThat(got).contains("h=\"1\"").contains("previd=\"" + id + "\"");
            assertThat(got.indexOf("<resumed")).as("<resumed/> comes before what is sent again").isLessThan(got.indexOf("<message"));
            assertThat(messageIds(got)).containsExactlyElementsOf(expected("sm-"));
            // the client acknowledges them; resumed once more, nothing comes again
            received += stanzas(got.substring(got.indexOf("<resumed")));
            again.send("<a xmlns='urn:xmpp:sm:3' h='" + received + "'/><r xmlns='urn:xmpp:sm:3'/>");
            assertThat(again.await("an ack", s -> s.contains("<a "))).contains("h=\"1\"");
            again.cut();
        }
        try (Raw third = Raw.authenticated(server, "phone")) {
            third.send("<resume xmlns='urn:xmpp:sm:3' previd='" + id + "' h='" + received + "'/><iq type='get' id='after'><ping xmlns='urn:xmpp:ping'/></iq>");
            String got = third.await("the ping's answer", s -> s.contains("id=\"after\""));
            assertThat(got).contains("<resumed");
            assertThat(messageIds(got)).as("acknowledged messages are never sent again").isEmpty();
            third.send("<presence type='unavailable'/></stream:stream>");
        }
    }

    @Test
    void whenTheResumeWindowPassesTheMessagesWaitOfflineWithADelayStamp() throws Exception {
        try (Raw tablet = Raw.bound(server, "tablet", "sofa")) {
            tablet.send("<enable xmlns='urn:xmpp:sm:3' resume='true' max='2'/>");
            assertThat(tablet.await("<enabled/>", s -> s.contains("<enabled"))).as("the client's shorter max is honoured").contains("max=\"2\"");
            tablet.send("<presence/>");
            tablet.cut();
        }
        hundredMessagesTo("tablet@localhost/sofa");
        Path log = home.resolve("logs/strata.log");
        StrataServer.await(WAIT, "the tablet's session to end", () -> {
            try {
                return Files.readString(log).contains("Session ended: tablet@localhost/sofa");
            } catch (IOException e) {
                return false;
            }
        });
        try (Raw back = Raw.bound(server, "tablet", "sofa")) {
            back.send("<presence/>");
            String got = back.await("the 100 messages from offline storage", s -> messageIds(s).size() >= MESSAGES);
            assertThat(messageIds(got)).containsExactlyElementsOf(expected("sm-"));
            Matcher m = Pattern.compile("<message [^>]*id=\"sm-\\d+\".*?</message>", Pattern.DOTALL).matcher(got);
            int stamped = 0;
            while (m.find()) {
                assertThat(m.group()).as("one delay stamp, from when it was first sent").containsOnlyOnce("<delay ").contains("from=\"localhost\"");
                stamped++;
            }
            assertThat(stamped).isEqualTo(MESSAGES);
        }
    }

    @Test
    void unloadingTheModuleKeepsEnabledStreamsCountingAndLoadingItBackResumes() throws Exception {
        try (Raw phone = Raw.bound(server, "phone", "reload")) {
            phone.send("<enable xmlns='urn:xmpp:sm:3' resume='true'/><presence/>");
            String id = enabledId(phone.await("<enabled/>", s -> s.contains("<enabled")));
            assertThat(server.ssh("module:unload xep-0198-sm").exit()).isZero();
            try {
                phone.send("<iq type='get' id='while-away'><ping xmlns='urn:xmpp:ping'/></iq><r xmlns='urn:xmpp:sm:3'/>");
                String acked = phone.await("an ack while the module is away", s -> s.contains("<a "));
                assertThat(acked).as("presence and ping counted by the stream layer").contains("h=\"2\"");
                try (Raw other = Raw.bound(server, "phone", "new")) {
                    other.send("<enable xmlns='urn:xmpp:sm:3'/>");
                    assertThat(other.await("a stream error", s -> s.contains("</stream:stream>"))).as("no module, no enable")
                            .contains("<unsupported-stanza-type");
                }
            } finally {
                assertThat(server.ssh("module:load xep-0198-sm").exit()).isZero();
            }
            StrataServer.await(WAIT, "stream management offered again", () -> {
                try (Raw probe = Raw.authenticated(server, "phone")) {
                    return probe.login.transcript().contains("urn:xmpp:sm:3");
                } catch (Exception e) {
                    return false;
                }
            });
            phone.send("<r xmlns='urn:xmpp:sm:3'/>");
            phone.await("an ack", s -> s.contains("<a "));
            phone.cut();
            try (Raw again = Raw.authenticated(server, "phone")) {
                again.send("<resume xmlns='urn:xmpp:sm:3' previd='" + id + "' h='2'/>");
                assertThat(again.await("<resumed/>", s -> s.contains("<resumed") || s.contains("</failed>"))).contains("<resumed");
                again.send("<presence type='unavailable'/></stream:stream>");
            }
        }
    }

    /**
     * A client that acknowledges what it is asked to is not cut off for a burst it has not had the
     * time to acknowledge yet: Smack (stream management on, its defaults) comes back to 200 offline
     * messages, more than max.unacked (150 here), which the server sends at once after its initial
     * presence, and gets them all on a session that stays. (It was cut off at the 151st, and the
     * messages went back to offline storage: with 500 offline, the default max.unacked, a client
     * with stream management could never log in again.)
     */
    @Test
    void aClientThatAcksGetsABurstLargerThanMaxUnacked() throws Exception {
        hundredMessagesTo("traveller@localhost");
        hundredMessagesTo("traveller@localhost");
        XMPPTCPConnection c = Clients.smack(server);
        List<String> got = Collections.synchronizedList(new ArrayList<>());
        c.addStanzaListener(st -> got.add(st.getStanzaId()), StanzaTypeFilter.MESSAGE);
        c.login("traveller", "traveller-Pw-1", Resourcepart.from("laptop"));
        assertThat(c.isSmEnabled()).as("Smack enabled stream management").isTrue();
        long until = System.nanoTime() + WAIT.toNanos();
        while (got.size() < 2 * MESSAGES && c.isConnected() && System.nanoTime() < until) Thread.sleep(50);
        List<String> twice = new ArrayList<>(expected("sm-"));
        twice.addAll(expected("sm-"));
        assertThat(got).as("each of the 200 once, on one session").containsExactlyInAnyOrderElementsOf(twice);
        Thread.sleep(500);
        assertThat(c.isConnected()).as("the session stayed").isTrue();
        assertThat(server.log()).doesNotContain("traveller@localhost/laptop left");
        Thread.sleep(3_500); // past the ack timeout: the 200 were acknowledged, so the session stays
        assertThat(c.isConnected()).as("the session stayed past the ack timeout").isTrue();
        c.disconnect();
    }

    @Test
    void aClientThatNeverAcksIsCutOffAtMaxUnackedAndLosesNothing() throws Exception {
        try (Raw hoarder = Raw.bound(server, "hoarder", "pocket")) {
            hoarder.send("<enable xmlns='urn:xmpp:sm:3'/><presence/>");
            hoarder.await("<enabled/>", s -> s.contains("<enabled"));
            hundredMessagesTo("hoarder@localhost/pocket");
            hundredMessagesTo("hoarder@localhost/pocket");
            String got = hoarder.await("the stream error", s -> s.contains("</stream:stream>"));
            assertThat(got).contains("<policy-violation").contains("More than 150 stanzas are unacknowledged");
        }
        try (Raw again = Raw.bound(server, "hoarder", "pocket")) {
            again.send("<presence/>");
            String got = again.await("what it never acknowledged, from offline storage", s -> messageIds(s).size() >= 2 * MESSAGES);
            List<String> twice = new ArrayList<>(expected("sm-"));
            twice.addAll(expected("sm-"));
            assertThat(messageIds(got)).as("each of the 200, once").containsExactlyInAnyOrderElementsOf(twice);
        }
    }

    @Test
    void badStreamManagementInputGetsTheErrorTheXepNames() throws Exception {
        try (Raw early = Raw.authenticated(server, "mistake")) {
            early.send("<enable xmlns='urn:xmpp:sm:3'/>");
            assertThat(early.await("<failed/>", s -> s.contains("</failed>"))).as("enable before bind").contains("<unexpected-request");
            early.send("<resume xmlns='urn:xmpp:sm:3' previd='no-such-id' h='0'/>");
            assertThat(early.await("<failed/>", s -> s.contains("</failed>"))).as("an unknown id").contains("<item-not-found");
        }
        try (Raw m = Raw.bound(server, "mistake", "desk")) {
            m.send("<r xmlns='urn:xmpp:sm:3'/>");
            assertThat(m.await("<failed/>", s -> s.contains("</failed>"))).as("an ack request before enable").contains("<unexpected-request");
            m.send("<enable xmlns='urn:xmpp:sm:3'/>");
            String enabled = m.await("<enabled/>", s -> s.contains("<enabled"));
            assertThat(enabled).as("no resumption unless asked").doesNotContain("resume=");
            m.send("<enable xmlns='urn:xmpp:sm:3'/>");
            assertThat(m.await("<failed/>", s -> s.contains("</failed>"))).as("enabled twice").contains("<unexpected-request");
            m.send("<a xmlns='urn:xmpp:sm:3' h='5'/>");
            assertThat(m.await("a stream error", s -> s.contains("</stream:stream>")))
                    .contains("<undefined-condition").contains("acknowledges 5 stanzas, but only 0 were sent");
        }
    }
}
