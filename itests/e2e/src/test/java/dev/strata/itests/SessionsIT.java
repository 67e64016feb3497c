package dev.strata.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jivesoftware.smack.StanzaCollector;
import org.jivesoftware.smack.filter.AndFilter;
import org.jivesoftware.smack.filter.FromMatchesFilter;
import org.jivesoftware.smack.filter.StanzaTypeFilter;
import org.jivesoftware.smack.packet.Presence;
import org.jivesoftware.smack.roster.Roster;
import org.jivesoftware.smack.roster.packet.RosterPacket.ItemType;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jxmpp.jid.EntityBareJid;
import org.jxmpp.jid.EntityFullJid;
import org.jxmpp.jid.impl.JidCreate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import dev.strata.api.auth.ScramHash;
import dev.strata.bench.RawXmppClient;

/**
 * Sessions under the conditions that broke them: many resources of one account that never read,
 * two binds of one resource at the same moment, and a replaced session whose close comes late.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SessionsIT {
    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final int RESOURCES = 20;
    private StrataServer server;

    @BeforeAll
    void start() throws Exception {
        Roster.setDefaultSubscriptionMode(Roster.SubscriptionMode.accept_all);
        Path home = StrataServer.freshHome("sessions-it");
        Files.writeString(home.resolve("config/stack/01-transport/strata.transport.c2s.cfg"), "max.outbound.bytes = 262144\n",
                StandardOpenOption.APPEND);
        for (String user : List.of("reader", "sender", "twin", "watcher", "mailbox", "flooder")) {
            assertThat(StrataServer.register(home, home.resolve("data"), user, "localhost", user + "-Pw-1").exit()).isZero();
        }
        server = StrataServer.start(home, home.resolve("data"), Map.of());
    }

    @AfterAll
    void stop() throws Exception {
        if (server != null) server.close();
    }

    private static String boundJid(RawXmppClient.Login l) {
        Matcher m = Pattern.compile("<jid>([^<]+)</jid>").matcher(l.transcript());
        assertThat(m.find()).as("bound: %s", l.transcript()).isTrue();
        return m.group(1);
    }

    /** The server's heap after a full collection, in KiB, read with jcmd from the JDK running this test. */
    private long heapUsedKib() throws IOException, InterruptedException {
        jcmd("GC.run");
        String info = jcmd("GC.heap_info");
        Matcher m = Pattern.compile("used (\\d+)K").matcher(info);
        assertThat(m.find()).as("heap info: %s", info).isTrue();
        return Long.parseLong(m.group(1));
    }

    /** One jcmd command to the server's JVM; its output. */
    private String jcmd(String command) throws IOException, InterruptedException {
        Path jcmd = Path.of(ProcessHandle.current().info().command().orElseThrow()).resolveSibling("jcmd");
        Process p = new ProcessBuilder(jcmd.toString(), Long.toString(server.pid()), command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as("jcmd %s: %s", command, out).isZero();
        return out;
    }

    /**
     * Twenty resources of one account that never read while another account writes to each of
     * them: each is cut off with policy-violation once max.outbound.bytes wait for it, so the heap
     * holds at most that much per session instead of all that was sent (+169 MB for 19.5 MB before).
     */
    @Test
    void twentyResourcesThatNeverReadAreEachCutOffAndTheHeapStaysBounded() throws Exception {
        long before = heapUsedKib();
        List<RawXmppClient.Login> readers = new ArrayList<>(), senders = new ArrayList<>();
        java.util.Set<String> ended = java.util.concurrent.ConcurrentHashMap.newKeySet();
        java.util.concurrent.atomic.AtomicLong sentBytes = new java.util.concurrent.atomic.AtomicLong();
        try {
            for (int i = 0; i < RESOURCES; i++) {
                readers.add(RawXmppClient.login(server.c2sPort, false, "reader", "reader-Pw-1", ScramHash.SHA_256, null));
                senders.add(RawXmppClient.login(server.c2sPort, false, "sender", "sender-Pw-1", ScramHash.SHA_256, null));
            }
            List<String> jids = readers.stream().map(SessionsIT::boundJid).toList();
            String body = "x".repeat(1_000);
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < RESOURCES; i++) { // one sender per slow resource: each connection is read at most max.bytes.per.second
                RawXmppClient.Login sender = senders.get(i);
                String to = jids.get(i);
                threads.add(Thread.ofVirtual().start(() -> { // the sender reads, as a client does
                    byte[] buf = new byte[65536];
                    try {
                        while (sender.socket().getInputStream().read(buf) >= 0) {
                            // discarded
                        }
                    } catch (IOException e) {
                        // closed at the end of the test
                    }
                }));
                threads.add(Thread.ofVirtual().start(() -> {
                    byte[] message = ("<message to='" + to + "' type='chat'><body>" + body + "</body></message>").getBytes(StandardCharsets.UTF_8);
                    try {
                        // written to until it is cut off: a message to a resource that is gone would go elsewhere
                        for (int n = 0; n < 100_000 && !ended.contains(to); n++) {
                            sender.socket().getOutputStream().write(message);
                            sentBytes.addAndGet(message.length);
                        }
                    } catch (IOException e) {
                        // closed at the end of the test
                    }
                }));
            }
            StrataServer.await(Duration.ofSeconds(120), "every slow resource cut off", () -> {
                String log = server.log();
                for (String j : jids) if (log.contains("Session ended: " + j + " (")) ended.add(j);
                return ended.size() == RESOURCES;
            });
            // the senders stop and the server finishes what it had read from them (their last messages go to the
            // offline mailbox, full by now): what is left on the heap is what it keeps, not what is in flight
            for (var s : senders) s.socket().close();
            StrataServer.await(Duration.ofSeconds(60), "the senders' sessions ended", () -> server.log().split("Session ended: sender@localhost", -1).length > RESOURCES);
            long after = heapUsedKib();
            System.out.printf("[figure] %d resources that never read: %.1f MB sent to them, heap after GC %+.1f MB%n", RESOURCES,
                    sentBytes.get() / 1e6, (after - before) / 1024.0);
            assertThat(server.log()).contains("the client does not read");
            assertThat(sentBytes.get()).as("far more was sent than max.outbound.bytes for all of them").isGreaterThan(RESOURCES * 262_144L * 2);
            assertThat((after - before) / 1024).as("heap growth in MB after all were cut off").isLessThan(32);
            for (var s : senders) s.socket().close();
            for (Thread t : threads) t.join();
        } finally {
            for (var r : readers) r.socket().close();
            for (var s : senders) s.socket().close();
        }
    }

    /**
     * Two binds of one full JID at the same moment, thirty times: exactly one session holds it
     * afterwards, the console lists it, and the other connection is closed (no ghost session that
     * still receives messages to the bare JID).
     */
    @Test
    void twoBindsOfOneResourceAtOnceLeaveExactlyOneSession() throws Exception {
        for (int attempt = 0; attempt < 30; attempt++) {
            String resource = "race" + attempt;
            CyclicBarrier together = new CyclicBarrier(2);
            List<CompletableFuture<RawXmppClient.Login>> binds = new ArrayList<>();
            for (int k = 0; k < 2; k++) {
                binds.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        RawXmppClient.Login l = RawXmppClient.authenticate(server.c2sPort, false, "twin", "twin-Pw-1", ScramHash.SHA_256, null);
                        assertThat(l.success()).isTrue();
                        together.await();
                        l.socket().getOutputStream().write(("<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>"
                                + resource + "</resource></bind></iq>").getBytes(StandardCharsets.UTF_8));
                        l.socket().getOutputStream().flush();
                        return l;
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }));
            }
            List<RawXmppClient.Login> both = binds.stream().map(CompletableFuture::join).toList();
            try {
                String full = "twin@localhost/" + resource;
                List<Heard> heard = List.of(new Heard(), new Heard());
                StrataServer.await(WAIT, "one of the two closed", () -> {
                    int open = 0;
                    for (int k = 0; k < 2; k++) if (heard.get(k).open(both.get(k))) open++;
                    return open == 1;
                });
                String listed = server.ssh("session:list").out();
                assertThat(listed.lines().filter(line -> line.startsWith(full + " "))).as("attempt %d: %s", attempt, listed).hasSize(1);
            } finally {
                for (var l : both) l.socket().close();
            }
            StrataServer.await(WAIT, "both gone", () -> !server.ssh("session:list").out().contains("twin@localhost/" + resource + " "));
        }
    }

    /** What a raw connection has received so far, and whether it has ended. */
    private static final class Heard {
        final StringBuilder text = new StringBuilder();
        boolean eof;

        /** Whether the server still keeps the connection open: no closing tag, no end of stream yet. */
        boolean open(RawXmppClient.Login l) {
            if (!eof && !text.toString().contains("</stream:stream>")) {
                try {
                    l.socket().setSoTimeout(200);
                    byte[] buf = new byte[8192];
                    int n = l.socket().getInputStream().read(buf);
                    if (n < 0) eof = true;
                    else text.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                } catch (java.net.SocketTimeoutException e) {
                    // nothing more yet
                } catch (IOException e) {
                    eof = true;
                }
            }
            return !eof && !text.toString().contains("</stream:stream>");
        }
    }

    /**
     * A session replaced by a new login of the same resource: its contact's last word about that
     * resource is the new session's available presence, ten times over (the old session's late
     * unavailable came 2.7 s after it before).
     */
    @Test
    void aReplacedSessionsUnavailableNeverFollowsTheNewOnesAvailable() throws Exception {
        EntityBareJid twin = JidCreate.entityBareFrom("twin@localhost"), watcher = JidCreate.entityBareFrom("watcher@localhost");
        XMPPTCPConnection w = Clients.smack(server, "watcher", "watcher-Pw-1", "desk");
        XMPPTCPConnection first = Clients.smack(server, "twin", "twin-Pw-1", "phone");
        try {
            Roster rw = Roster.getInstanceFor(w), rt = Roster.getInstanceFor(first);
            StrataServer.await(WAIT, "rosters loaded", () -> rw.isLoaded() && rt.isLoaded());
            rw.createItemAndRequestSubscription(twin, "Twin", null);
            StrataServer.await(WAIT, "watcher subscribed to twin", () -> rw.getEntry(twin) != null && rw.getEntry(twin).getType() == ItemType.to);
            EntityFullJid phone = JidCreate.entityFullFrom("twin@localhost/phone");
            StrataServer.await(WAIT, "watcher sees twin/phone", () -> rw.getPresenceResource(phone).isAvailable());
            XMPPTCPConnection current = first;
            for (int i = 0; i < 10; i++) {
                StanzaCollector seen = w.createStanzaCollector(new AndFilter(StanzaTypeFilter.PRESENCE, FromMatchesFilter.createFull(phone)));
                XMPPTCPConnection replacement = Clients.smack(server, "twin", "twin-Pw-1", "phone");
                Thread.sleep(1_500); // time for a late close to show itself
                List<Presence.Type> types = new ArrayList<>();
                for (Presence p; (p = seen.pollResult()) != null; ) types.add(p.getType());
                seen.cancel();
                assertThat(types).as("round %d: what watcher saw of twin/phone", i).isNotEmpty().last().isEqualTo(Presence.Type.available);
                assertThat(rw.getPresenceResource(phone).isAvailable()).isTrue();
                if (current != first) current.disconnect();
                current = replacement;
            }
            current.disconnect();
        } finally {
            first.disconnect();
            w.disconnect();
        }
    }

    /** One full login (TLS, SCRAM-SHA-256, bind) of {@code user}, in seconds. */
    private double loginSeconds(String user) throws Exception {
        long t0 = System.nanoTime();
        try (var l = RawXmppClient.login(server.c2sPort, false, user, user + "-Pw-1", ScramHash.SHA_256, null)) {
            assertThat(l.success()).isTrue();
            boundJid(l);
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    /**
     * The offline-storage attack: four senders aim 200 KB messages at one mailbox, which fills
     * (max.chars) and then refuses each with service-unavailable, counted without reading what it
     * holds. Meanwhile a normal login stays fast (it took 8-9.6 s when every refusal re-read the mailbox).
     */
    @Test
    void aFloodedFullMailboxKeepsANormalLoginFast() throws Exception {
        List<Double> quiet = new ArrayList<>();
        for (int i = 0; i < 5; i++) quiet.add(loginSeconds("watcher"));
        String body = "x".repeat(200_000);
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicLong refused = new java.util.concurrent.atomic.AtomicLong();
        List<Thread> senders = new ArrayList<>();
        List<RawXmppClient.Login> logins = new ArrayList<>();
        for (int k = 0; k < 4; k++) {
            RawXmppClient.Login l = RawXmppClient.login(server.c2sPort, false, "flooder", "flooder-Pw-1", ScramHash.SHA_256, null);
            logins.add(l);
            senders.add(Thread.ofPlatform().start(() -> {
                try {
                    var out = l.socket().getOutputStream();
                    while (!stop.get()) {
                        out.write(("<message to='mailbox@localhost' type='chat'><body>" + body + "</body></message>").getBytes(StandardCharsets.UTF_8));
                        out.flush();
                    }
                } catch (IOException e) {
                    // closed at the end
                }
            }));
            senders.add(Thread.ofPlatform().start(() -> { // and reads its errors, as a client does
                byte[] buf = new byte[65536];
                try {
                    for (int n; (n = l.socket().getInputStream().read(buf)) >= 0; ) {
                        String got = new String(buf, 0, n, StandardCharsets.UTF_8);
                        for (int at = got.indexOf("service-unavailable"); at >= 0; at = got.indexOf("service-unavailable", at + 1)) refused.incrementAndGet();
                    }
                } catch (IOException e) {
                    // closed at the end
                }
            }));
        }
        List<Double> flooded = new ArrayList<>();
        try {
            StrataServer.await(Duration.ofSeconds(60), "the mailbox full and refusing", () -> refused.get() > 100);
            long before = refused.get(), t0 = System.nanoTime();
            for (int i = 0; i < 5; i++) {
                flooded.add(loginSeconds("watcher"));
                Thread.sleep(300);
            }
            double perSecond = (refused.get() - before) / ((System.nanoTime() - t0) / 1e9);
            System.out.printf("[figure] flood during the logins: %.0f refused 200 KB messages/s (%.1f MB/s from 4 connections)%n", perSecond, perSecond * 0.2);
            assertThat(perSecond).as("the flood went on during the logins, refusals/s").isGreaterThan(5);
            assertThat(server.log()).as("senders that read their errors are served, not cut off").doesNotContain("Session ended: flooder@localhost");
            assertThat(server.log().split("Offline storage of mailbox@localhost is full", -1).length - 1).as("refusals logged once a minute, not each")
                    .isLessThanOrEqualTo(2);
        } finally {
            stop.set(true);
            for (var l : logins) l.socket().close();
            for (Thread t : senders) t.join();
        }
        double median = flooded.stream().sorted().toList().get(2);
        System.out.printf("[figure] login with 4 senders flooding a full mailbox with 200 KB messages: median %.3f s (quiet: %.3f s), %d refusals%n",
                median, quiet.stream().sorted().toList().get(2), refused.get());
        assertThat(median).as("a normal login while the mailbox is flooded, seconds").isLessThan(0.5);
    }
}
