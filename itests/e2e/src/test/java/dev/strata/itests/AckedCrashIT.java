package dev.strata.itests;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import dev.strata.itests.StreamManagementIT.Raw;

/**
 * XEP-0198 acknowledgements are promises: a sender streams messages to an offline account with
 * stream management on, asking for acks as it goes, and the server is killed with SIGKILL in the
 * middle. After a restart, every message the server had acknowledged ({@code <a h/>}) is in the
 * recipient's offline storage.
 */
class AckedCrashIT {
    private static final int MESSAGES = 400;
    private static final Pattern ACK = Pattern.compile("<a xmlns=\"urn:xmpp:sm:3\" h=\"(\\d+)\"");

    @Test
    void everyAcknowledgedMessageSurvivesAKill() throws Exception {
        Path home = StrataServer.freshHome("acked-crash-it", "sender", "sleeper");
        try (StrataServer s = StrataServer.start(home, home.resolve("data"), Map.of())) {
            long promised = streamUntilKilled(s);
            System.out.printf("[figure] XEP-0198 crash: %d messages acknowledged before SIGKILL%n", promised);
            assertThat(promised).as("some were acknowledged before the kill").isPositive();
            assertThat(promised).as("the kill came mid-stream").isLessThan(MESSAGES);
            s.start();
            try (Raw sleeper = Raw.bound(s, "sleeper", "phone")) {
                sleeper.send("<presence/>");
                String got = sleeper.await("the acknowledged messages", x -> count(x) >= promised);
                Set<Integer> ids = new TreeSet<>();
                Matcher m = Pattern.compile("<message [^>]*id=\"k(\\d+)\"").matcher(got);
                while (m.find()) ids.add(Integer.parseInt(m.group(1)));
                for (int i = 0; i < promised; i++) assertThat(ids).as("acknowledged message k%s", i).contains(i);
            }
        }
    }

    /**
     * The recipient is online and never acknowledges (its phone is in a tunnel), archiving is on,
     * and the server is killed mid-stream: after a restart, every message the sender had been
     * acknowledged is in the recipient's archive, the only copy left. The archive's appends are
     * batched and do not wait for the disk flush; the {@code <a/>} does. A kill cannot tell the
     * flush apart (H2 writes each transaction into the file as it commits, and the kernel keeps
     * it), so this guards the appends themselves: an archive that acknowledged before it inserted
     * loses messages here.
     */
    @Test
    void everyAcknowledgedMessageIsInTheArchiveAfterAKill() throws Exception {
        Path home = StrataServer.freshHome("acked-archive-crash-it", "sender", "sleeper");
        try (StrataServer s = StrataServer.start(home, home.resolve("data"), Map.of())) {
            long promised;
            try (Raw sleeper = Raw.bound(s, "sleeper", "phone")) {
                sleeper.send("<iq type='set' id='prefs'><prefs xmlns='urn:xmpp:mam:2' default='always'/></iq>"
                        + "<enable xmlns='urn:xmpp:sm:3' resume='true'/><presence/>");
                sleeper.await("archiving on and SM enabled", x -> x.contains("id=\"prefs\"") && x.contains("<enabled"));
                promised = streamUntilKilled(s);
            }
            System.out.printf("[figure] XEP-0198 crash with archiving: %d messages acknowledged before SIGKILL%n", promised);
            assertThat(promised).as("some were acknowledged before the kill").isPositive();
            assertThat(promised).as("the kill came mid-stream").isLessThan(MESSAGES);
            s.start();
            try (Raw sleeper = Raw.bound(s, "sleeper", "phone")) {
                Set<Integer> ids = new TreeSet<>();
                String after = "";
                for (int page = 0; page < 10; page++) { // pages of up to 250 (max.page.size)
                    sleeper.send("<iq type='set' id='mam" + page + "'><query xmlns='urn:xmpp:mam:2' queryid='all" + page + "'>"
                            + "<set xmlns='http://jabber.org/protocol/rsm'><max>250</max>" + after + "</set></query></iq>");
                    int n = page;
                    String got = sleeper.await("an archive page", x -> x.contains("id=\"mam" + n + "\""));
                    Matcher m = Pattern.compile("<message [^>]*id=\"k(\\d+)\"").matcher(got);
                    while (m.find()) ids.add(Integer.parseInt(m.group(1)));
                    Matcher last = Pattern.compile("<last>(\\d+)</last>").matcher(got);
                    if (got.contains("complete=\"true\"") || !last.find()) break;
                    after = "<after>" + last.group(1) + "</after>";
                }
                for (int i = 0; i < promised; i++) assertThat(ids).as("acknowledged message k%s in the archive", i).contains(i);
            }
        }
    }

    /**
     * Logs in "sender" with stream management and streams {@link #MESSAGES} messages to sleeper,
     * asking for an ack every 5, while the server is killed after 0.7 s; returns how many the
     * server had acknowledged.
     */
    private static long streamUntilKilled(StrataServer s) throws Exception {
        AtomicLong acked = new AtomicLong();
        try (Raw sender = Raw.bound(s, "sender", "desk")) {
            sender.send("<enable xmlns='urn:xmpp:sm:3'/>");
            sender.await("<enabled/>", x -> x.contains("<enabled"));
            Thread reader = acks(sender, acked);
            Thread killer = Thread.ofPlatform().start(() -> {
                try {
                    Thread.sleep(700);
                    s.kill();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            try {
                for (int i = 0; i < MESSAGES; i++) {
                    sender.send("<message type='chat' to='sleeper@localhost' id='k" + i + "'><body>kept " + i + "</body></message>"
                            + (i % 5 == 4 ? "<r xmlns='urn:xmpp:sm:3'/>" : ""));
                    Thread.sleep(3);
                }
            } catch (Exception e) {
                // the server is gone
            }
            killer.join();
            reader.join(5000);
        }
        return acked.get();
    }

    /** Reads the sender's stream on a thread of its own, keeping the highest {@code <a h/>} seen. */
    private static Thread acks(Raw sender, AtomicLong acked) {
        return Thread.ofPlatform().start(() -> {
            byte[] buf = new byte[8192];
            StringBuilder seen = new StringBuilder();
            try {
                InputStream in = sender.login.socket().getInputStream();
                sender.login.socket().setSoTimeout(200);
                while (true) {
                    try {
                        int n = in.read(buf);
                        if (n < 0) return;
                        seen.append(new String(buf, 0, n, UTF_8));
                        Matcher m = ACK.matcher(seen);
                        while (m.find()) acked.accumulateAndGet(Long.parseLong(m.group(1)), Math::max);
                    } catch (SocketTimeoutException e) {
                        // poll
                    }
                }
            } catch (Exception e) {
                // killed
            }
        });
    }

    /** A clean stop ends every session first, while routing and storage still run: what a client never acknowledged waits in offline storage. */
    @Test
    void aCleanShutdownKeepsWhatASessionNeverAcknowledged() throws Exception {
        Path home = StrataServer.freshHome("acked-shutdown-it", "sender", "sleeper");
        try (StrataServer s = StrataServer.start(home, home.resolve("data"), Map.of())) {
            try (Raw sleeper = Raw.bound(s, "sleeper", "phone"); Raw sender = Raw.bound(s, "sender", "desk")) {
                sleeper.send("<enable xmlns='urn:xmpp:sm:3' resume='true'/><presence/>");
                sleeper.await("<enabled/>", x -> x.contains("<enabled"));
                sleeper.cut();
                Thread.sleep(300);
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < 20; i++) sb.append("<message type='chat' to='sleeper@localhost/phone' id='k").append(i).append("'><body>kept ").append(i).append("</body></message>");
                sender.send(sb + "<iq type='get' id='routed'><ping xmlns='urn:xmpp:ping'/></iq>");
                sender.await("routed", x -> x.contains("id=\"routed\""));
            }
            s.stop();
            assertThat(s.log()).contains("stanzas to sleeper@localhost/phone were never acknowledged; 20 messages went to sleeper@localhost again");
            s.start();
            try (Raw sleeper = Raw.bound(s, "sleeper", "phone")) {
                sleeper.send("<presence/>");
                String got = sleeper.await("the 20 messages", x -> count(x) >= 20);
                assertThat(count(got)).isEqualTo(20);
            }
        }
    }

    private static int count(String xml) {
        Matcher m = Pattern.compile("<message [^>]*id=\"k\\d+\"").matcher(xml);
        int n = 0;
        while (m.find()) n++;
        return n;
    }
}
