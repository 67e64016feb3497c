package dev.strata.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

import dev.strata.api.auth.ScramHash;
import dev.strata.bench.RawXmppClient;
import dev.strata.bench.RawXmppClient.Login;

/**
 * Nothing acknowledged is ever lost: clients write (roster items, private XML, vCards, messages to
 * an offline account, an account made on the console), the server is killed with SIGKILL at a random
 * moment of the burst, restarted on the same data folder, and every write it acknowledged must be
 * there. {@code -Dstrata.crash.iterations=N} runs more rounds (the soak run); the database lives on
 * across rounds, as a long-lived server's does.
 */
class CrashIT {
    private static final int ITERATIONS = Integer.getInteger("strata.crash.iterations", 10);
    private static final Pattern RESULT_ID = Pattern.compile("<iq [^>]*type=\"result\"[^>]*id=\"([^\"]+)\"|<iq [^>]*id=\"([^\"]+)\"[^>]*type=\"result\"");

    /** What one writer had acknowledged when the server died. */
    private static final class Acked {
        final Set<Integer> ids = ConcurrentHashMap.newKeySet();
        volatile int last = -1;
    }

    @Test
    void acknowledgedWritesSurviveKillNineOnEmbeddedH2() throws Exception {
        Path home = StrataServer.freshHome("crash-it");
        Path data = home.resolve("data");
        assertThat(StrataServer.register(home, data, "alice", "localhost", "Alice-pw-1").exit()).isZero();
        assertThat(StrataServer.register(home, data, "carol", "localhost", "Carol-pw-1").exit()).isZero();
        assertThat(StrataServer.register(home, data, "bob", "localhost", "Bob-pw-1").exit()).isZero();
        crashRounds("H2", StrataServer.start(home, data, Map.of()), ITERATIONS);
    }

    @Test
    @EnabledIfEnvironmentVariable(named = "STRATA_TEST_PG_URL", matches = ".+")
    void acknowledgedWritesSurviveKillNineOnPostgresql() throws Exception {
        Path home = StrataServer.freshHome("crash-it-pg");
        Path cfg = home.resolve("config/stack/06-storage/strata.storage.jdbc.cfg");
        Files.createDirectories(cfg.getParent());
        Files.writeString(cfg, "url = ${env:STRATA_TEST_PG_URL}\nuser = ${env:STRATA_TEST_PG_USER}\npassword = ${env:STRATA_TEST_PG_PASSWORD}\n");
        StrataServer server = StrataServer.start(home, home.resolve("data"), Map.of());
        for (String[] u : new String[][] {{"alice", "Alice-pw-1"}, {"carol", "Carol-pw-1"}, {"bob", "Bob-pw-1"}}) {
            server.ssh("user:delete " + u[0] + "@localhost"); // a previous run's account, if any
            assertThat(server.ssh("user:add " + u[0] + "@localhost " + u[1]).exit()).isZero();
        }
        for (int round = 0; round < ITERATIONS; round++) server.ssh("user:delete crash" + round + "@localhost");
        crashRounds("PostgreSQL", server, ITERATIONS);
    }

    private void crashRounds(String database, StrataServer server, int rounds) throws Exception {
        port = server.c2sPort;
        int acknowledged = 0;
        try {
            for (int round = 0; round < rounds; round++) {
                String fresh = "crash" + round;
                StrataServer.Result add = server.ssh("user:add " + fresh + "@localhost Fresh-pw-" + round);
                assertThat(add.exit()).as("user:add: %s", add).isZero();

                Acked roster = new Acked();
                Acked privates = new Acked();
                Acked vcards = new Acked();
                Acked messages = new Acked();
                int r = round;
                List<Thread> writers = new ArrayList<>();
                // the roster on the round's new account: one account's roster would reach max.items over many rounds
                writers.add(writer(fresh, "Fresh-pw-" + round, roster, n -> "<iq type='set' id='w" + n + "'><query xmlns='jabber:iq:roster'><item jid='c" + r + "-" + n
                        + "@localhost' name='Contact " + n + "'/></query></iq>"));
                writers.add(writer("alice", "Alice-pw-1", privates, n -> "<iq type='set' id='w" + n + "'><query xmlns='jabber:iq:private'><x xmlns='crash:" + r + ":" + n
                        + "'>value " + n + "</x></query></iq>"));
                writers.add(writer("carol", "Carol-pw-1", vcards, n -> "<iq type='set' id='w" + n + "'><vCard xmlns='vcard-temp'><FN>Carol " + r + "-" + n
                        + "</FN></vCard></iq>"));
                writers.add(writer("carol", "Carol-pw-1", messages, n -> "<message to='bob@localhost' type='chat' id='m" + n + "'><body>m" + r + "-" + n
                        + "</body></message><iq type='get' id='w" + n + "'><ping xmlns='urn:xmpp:ping'/></iq>"));
                writers.forEach(Thread::start);
                long start = System.nanoTime();
                StrataServer.await(Duration.ofSeconds(30), "the writers to get going", () -> roster.ids.size() + messages.ids.size() > 0);
                Thread.sleep(ThreadLocalRandom.current().nextLong(400, 3000));
                server.kill();
                long ms = (System.nanoTime() - start) / 1_000_000;
                for (Thread t : writers) t.join(30_000);
                assertThat(writerFailures).as("round %d: the writers", r).isEmpty();
                server.start();

                // every acknowledged write is there; all that are missing are listed
                List<String> lost = new ArrayList<>();
                try (Login f = login(fresh, "Fresh-pw-" + round)) { // made with user:add just before the burst, and there
                    String items = Clients.exchange(f, "<iq type='get' id='roster'><query xmlns='jabber:iq:roster'/></iq>");
                    for (int n : new java.util.TreeSet<>(roster.ids)) if (!items.contains("c" + r + "-" + n + "@localhost")) lost.add("roster " + n);
                }
                try (Login a = login("alice", "Alice-pw-1")) {
                    for (int n : new java.util.TreeSet<>(privates.ids)) {
                        String x = Clients.exchange(a, "<iq type='get' id='p" + n + "'><query xmlns='jabber:iq:private'><x xmlns='crash:" + r + ":" + n + "'/></query></iq>");
                        if (!x.contains("value " + n)) lost.add("private " + n);
                    }
                }
                if (vcards.last >= 0) {
                    try (Login c = login("carol", "Carol-pw-1")) {
                        String v = Clients.exchange(c, "<iq type='get' id='v'><vCard xmlns='vcard-temp'/></iq>");
                        Matcher fn = Pattern.compile("<FN>Carol " + r + "-(\\d+)</FN>").matcher(v);
                        assertThat(fn.find()).as("round %d: the vCard after kill -9: %s", r, v).isTrue();
                        if (Integer.parseInt(fn.group(1)) < vcards.last) lost.add("vCard " + vcards.last + " (stored: " + fn.group(1) + ")");
                    }
                }
                try (Login b = login("bob", "Bob-pw-1")) {
                    String got = readOffline(b, messages.ids.isEmpty() ? -1 : messages.last, r);
                    for (int n : new java.util.TreeSet<>(messages.ids)) if (!got.contains(">m" + r + "-" + n + "<")) lost.add("message " + n);
                }
                assertThat(lost).as("round %d, killed at %d ms: acknowledged writes missing after the restart (acknowledged: roster up to %d, private up to %d, "
                        + "messages up to %d)", r, ms, roster.last, privates.last, messages.last).isEmpty();
                int round_acked = roster.ids.size() + privates.ids.size() + vcards.ids.size() + messages.ids.size();
                acknowledged += round_acked;
                System.out.printf("CrashIT %s round %d: killed at %d ms, %d writes acknowledged (roster %d, private %d, vCard %d, messages %d), none lost%n",
                        database, r, ms, round_acked, roster.ids.size(), privates.ids.size(), vcards.ids.size(), messages.ids.size());
            }
        } finally {
            server.close();
        }
        assertThat(acknowledged).as("the bursts wrote something").isPositive();
        System.out.printf("CrashIT %s: %d rounds, %d acknowledged writes, 0 lost%n", database, rounds, acknowledged);
    }

    private int port;
    private final List<Throwable> writerFailures = new java.util.concurrent.CopyOnWriteArrayList<>();

    private Login login(String user, String password) throws Exception {
        Login l = RawXmppClient.login(port, false, user, password, ScramHash.SHA_256, null);
        assertThat(l.success()).as("login of %s: %s", user, l.transcript()).isTrue();
        return l;
    }

    /** One client writing one request after the other, each after the previous one's answer, until the connection dies. */
    private Thread writer(String user, String password, Acked acked, java.util.function.IntFunction<String> request) {
        return Thread.ofPlatform().name("crash-writer-" + user).unstarted(() -> {
            try (Login l = login(user, password)) {
                for (int n = 0; ; n++) {
                    String answer = Clients.exchange(l, request.apply(n));
                    Matcher m = RESULT_ID.matcher(answer);
                    boolean ok = false;
                    while (m.find()) ok |= ("w" + n).equals(m.group(1) != null ? m.group(1) : m.group(2));
                    if (ok && refused(answer, n)) return; // a message refused (a full offline mailbox: 500 messages): not acknowledged, and the burst ends
                    if (!ok) {
                        if (answer.isEmpty() || answer.contains("</stream:stream>")) return; // the server died
                        throw new AssertionError("write " + n + " of " + user + " was not acknowledged: " + answer);
                    }
                    acked.ids.add(n);
                    acked.last = n;
                }
            } catch (IOException e) {
                // the server was killed mid-burst: what was acknowledged is recorded
            } catch (Exception | AssertionError e) {
                writerFailures.add(e);
            }
        });
    }

    /** Whether the answer holds an error for this write's own stanza (id mN or wN), not for anything else the session got. */
    private static boolean refused(String answer, int n) {
        Matcher tag = Pattern.compile("<(?:iq|message) [^>]*>").matcher(answer);
        while (tag.find()) {
            String t = tag.group().replace('\'', '"');
            if ((t.contains("id=\"m" + n + "\"") || t.contains("id=\"w" + n + "\"")) && t.contains("type=\"error\"")) return true;
        }
        return false;
    }

    /** Bob's offline messages, delivered at his initial presence, until the last acknowledged one (or a quiet second). */
    private static String readOffline(Login b, int last, int round) throws IOException {
        b.socket().getOutputStream().write("<presence/>".getBytes(StandardCharsets.UTF_8));
        b.socket().getOutputStream().flush();
        StringBuilder sb = new StringBuilder();
        byte[] buf = new byte[65536];
        b.socket().setSoTimeout(last < 0 ? 1000 : 15_000);
        try {
            while (last < 0 || !sb.toString().contains(">m" + round + "-" + last + "<")) {
                int n = b.socket().getInputStream().read(buf);
                if (n < 0) break;
                sb.append(new String(buf, 0, n, StandardCharsets.UTF_8));
            }
        } catch (java.net.SocketTimeoutException e) {
            // what came is what there is
        }
        return sb.toString();
    }
}
