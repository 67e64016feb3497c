package dev.strata.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import dev.strata.api.auth.ScramHash;

/**
 * Strata, Prosody and ejabberd side by side, in turn, on this machine, with the same load driver:
 * W1 login storm, W2 one-to-one messaging (saturation, then half of it for latency), W3 resident
 * memory per idle session, W4 startup, W5 a client that never reads while {@code slow} messages of
 * 1 KB are sent to it (what the server's memory does, and whether it cuts the client off), W6
 * durable writes ({@code writers} clients storing private XML), W7 archiving on (see {@link #archived}), W8 group chat (see {@link #groupChat}), W9 PEP fan-out (see {@link #pepFanOut}), W10 XMPP over WebSocket (see {@link #webSocket}), W11 server-to-server (see {@link #federation}). Server {@code strata-pg} is Strata
 * on the PostgreSQL database {@code pg} (emptied first). Server CPU per operation is read from /proc over the whole
 * process tree (it holds on a noisy machine better than rates); the driver's own CPU is printed
 * beside it. Every workload is bounded in count and time and aims only at 127.0.0.1.
 *
 * <pre>itests/bench/compare [servers=strata,prosody,ejabberd] [logins=2000] [concurrency=50] [pairs=100] [seconds=10]
 *     [idle=1000,10000] [settle=60] [batch=2000] [warmup=15] [slow=10000] [profile=false] [writers=20]
 *     [workloads=W1,W2,W3,W4,W5,W6,W7,W8,W9,W10,W11] [muc=1x100,100x10] [mucrate=10000] [pep=100] [peprate=100] [archived=1000000] [pg=postgresql://USER:PASSWORD@127.0.0.1/DB] [out=itests/bench/target/compare.md]</pre>
 * ({@code settle}: seconds idle before each W3 reading, time for the servers' own housekeeping;
 * {@code batch} and {@code warmup}: see {@link #warmUp}).
 */
public final class Compare {
    private static final String PASSWORD = "bench-Pass-1";
    private static final long TICK_MS = 10; // /proc/<pid>/stat counts CPU in 100 Hz clock ticks on Linux

    private final Map<String, String> opt;
    private final int users;
    /** W9's accounts follow the others': the publisher is bench{w9Base}, its contacts the next {@code pep}. */
    private final int w9Base;

    private Compare(Map<String, String> opt) {
        this.opt = opt;
        int occupants = 0;
        for (String shape : opt.get("muc").split(",")) occupants = Math.max(occupants, rooms(shape) * occupants(shape));
        int others = Math.max(Math.max(2 * integer("pairs"), 200), runs("W8") ? occupants : 0);
        // idle sessions share the accounts; Strata binds at most 50 resources per account (RFC 6120 §7.6.2.2)
        int idle = 0;
        for (String level : opt.get("idle").split(",")) idle = Math.max(idle, Integer.parseInt(level.strip()));
        others = Math.max(others, (idle + 49) / 50);
        this.w9Base = others;
        this.users = others + (runs("W9") ? integer("pep") + 1 : 0);
    }

    private int integer(String key) {
        return Integer.parseInt(opt.get(key));
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = new LinkedHashMap<>(Map.ofEntries(Map.entry("servers", "strata,prosody,ejabberd"), Map.entry("logins", "2000"),
                Map.entry("concurrency", "50"), Map.entry("pairs", "100"), Map.entry("seconds", "10"), Map.entry("idle", "1000,10000"),
                Map.entry("settle", "60"), Map.entry("batch", "2000"), Map.entry("warmup", "15"), Map.entry("slow", "10000"), Map.entry("profile", "false"),
                Map.entry("writers", "20"), Map.entry("workloads", "W1,W2,W3,W4,W5,W6,W7,W8,W9,W10,W11"), Map.entry("muc", "1x100,100x10"), Map.entry("mucrate", "10000"),
                Map.entry("pep", "100"), Map.entry("peprate", "100"), Map.entry("pg", ""), Map.entry("archived", "1000000"),
                Map.entry("out", "itests/bench/target/compare.md")));
        Path dist = Path.of(args[0]).toAbsolutePath();
        for (int i = 1; i < args.length; i++) {
            String[] kv = args[i].split("=", 2);
            if (!opt.containsKey(kv[0])) throw new IllegalArgumentException("unknown option " + kv[0] + "; known: " + opt.keySet());
            opt.put(kv[0], kv[1]);
        }
        new Compare(opt).run(dist);
    }

    /** One server's figures, by row name, as printed. */
    private final Map<String, Map<String, String>> table = new LinkedHashMap<>();
    private final Map<String, Map<String, Double>> numbers = new LinkedHashMap<>();

    private void put(String server, String row, String text, double number) {
        table.computeIfAbsent(row, r -> new LinkedHashMap<>()).put(server, text);
        numbers.computeIfAbsent(row, r -> new LinkedHashMap<>()).put(server, number);
        System.out.printf(Locale.ROOT, "  %-55s %s%n", row, text);
    }

    private void run(Path dist) throws Exception {
        Path root = Files.createTempDirectory("strata-compare");
        Files.setPosixFilePermissions(root, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        List<String> servers = List.of(opt.get("servers").split(","));
        boolean failed = false;
        String machine = machine();
        System.out.println("Side-by-side benchmark on " + machine + "; options " + opt);
        for (String s : servers) {
            for (boolean archive : new boolean[] {false, true}) {
                if (archive ? !runs("W7") : List.of("W1", "W2", "W3", "W4", "W5", "W6", "W8", "W9", "W10").stream().noneMatch(this::runs)) continue;
                try (Servers.Target t = switch (s) {
                    case "strata" -> new Servers.Strata(root, dist, null, archive);
                    case "strata-pg" -> new Servers.Strata(root, dist, opt.get("pg"), archive);
                    case "prosody" -> new Servers.Prosody(root, archive);
                    case "ejabberd" -> new Servers.Ejabberd(root, archive);
                    default -> throw new IllegalArgumentException("unknown server " + s);
                }) {
                    if (archive) archived(t);
                    else measure(t);
                } catch (Exception e) {
                    failed = true;
                    System.out.println(s + (archive ? " (archive on)" : "") + " failed: " + e);
                    e.printStackTrace(System.out);
                }
            }
            if (runs("W11") && !s.equals("strata-pg")) {
                try {
                    federation(root.resolve("w11-" + s), s, dist);
                } catch (Exception e) {
                    failed = true;
                    System.out.println(s + " (W11, server-to-server) failed: " + e);
                    e.printStackTrace(System.out);
                }
            }
        }
        String report = render(servers, machine);
        System.out.println(report);
        Path out = Path.of(opt.get("out"));
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, report);
        if (failed) {
            System.out.println("kept for a look: " + root);
            System.exit(1);
        }
        new ProcessBuilder("rm", "-rf", root.toString()).start().waitFor();
    }

    private boolean runs(String workload) {
        return List.of(opt.get("workloads").split(",")).contains(workload);
    }

    private void measure(Servers.Target t) throws Exception {
        System.out.println("== " + t.name);
        t.start();
        if (runs("W4")) {
            put(t.name, "W4 start to port open, s", fmt(t.portOpenSeconds, 2), t.portOpenSeconds);
            put(t.name, "W4 start to fully started, s", fmt(t.readySeconds, 2), t.readySeconds);
        }
        long c0 = System.nanoTime();
        t.createUsers(users, PASSWORD);
        System.out.printf(Locale.ROOT, "  %d accounts created with the server's tool in %.1f s%n", users, (System.nanoTime() - c0) / 1e9);
        if (runs("W6")) durableWrites(t);
        if (runs("W8")) groupChat(t);
        if (runs("W9")) pepFanOut(t);
        if (runs("W1") || runs("W2") || runs("W3") || runs("W5")) loginsAndMessaging(t);
        if (runs("W10")) {
            // idle memory on a server that has had no other load, as W3 measures it, unless W3 ran first
            if (!runs("W3")) idle(t, "W10", " WebSocket", webSocketLogin(t));
            webSocket(t);
        }
    }

    private void loginsAndMessaging(Servers.Target t) throws Exception {
        int n = integer("logins");
        // the first logins after start, as a user of a freshly (re)started server sees them: code loaded on
        // first use, caches empty and, for Strata, the JIT compiling; a row of its own, not W1
        int batch = integer("batch");
        double cold = logins(t, true, ScramHash.SHA_1, batch, null);
        put(t.name, "W1 first " + fmt(batch, 0) + " STARTTLS logins after start: server CPU ms/login", fmt(cold, 2), cold);
        idle(t); // before the heavy workloads: a heap grown under load would hide what sessions cost
        warmUp(t);
        // each workload starts once the server is quiet (quiesce)
        quiesce(t);
        jfr(t, "start", "w1-tls");
        logins(t, true, ScramHash.SHA_1, n, "W1 STARTTLS + SCRAM-SHA-1");
        jfr(t, "stop", "w1-tls");
        if (t.scramSha256()) {
            quiesce(t);
            logins(t, true, ScramHash.SHA_256, n, "W1 STARTTLS + SCRAM-SHA-256");
        }
        if (t.fast()) fastLogins(t, n);
        quiesce(t);
        jfr(t, "start", "w1-plain");
        logins(t, false, ScramHash.SHA_1, n, "W1 plain TCP + SCRAM-SHA-1");
        jfr(t, "stop", "w1-plain");
        messaging(t);
        slowReader(t);
    }

    // --- W8 ---------------------------------------------------------------------------------------

    private static int rooms(String shape) {
        return Integer.parseInt(shape.split("x")[0].strip());
    }

    private static int occupants(String shape) {
        return Integer.parseInt(shape.split("x")[1].strip());
    }

    /**
     * W8 group chat (XEP-0045 on {@code conference.localhost}, each server's own MUC): for each
     * shape ROOMSxOCCUPANTS of {@code muc}, every occupant enters its room (the first creates it
     * and makes it an instant room) asking for no history; then all occupants send groupchat
     * messages, open loop, at {@code mucrate} delivered copies a second in all (a message reaches
     * every occupant, its sender too), for {@code seconds}. Server CPU per delivered copy, and the
     * latency of every copy from its scheduled send time.
     */
    private void groupChat(Servers.Target t) throws Exception {
        for (String shape : opt.get("muc").split(",")) {
            int rooms = rooms(shape), per = occupants(shape);
            String label = "W8 MUC " + rooms + (rooms == 1 ? " room" : " rooms") + " x " + per;
            String tag = "w8x" + rooms + "x" + per;
            Recorder recorder = new Recorder();
            AtomicLong received = new AtomicLong();
            List<LoadClient> clients = new ArrayList<>();
            List<String> roomOf = new ArrayList<>();
            try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int r = 0; r < rooms; r++) {
                    String room = tag + "r" + r + "@conference.localhost";
                    for (int i = 0; i < per; i++) {
                        LoadClient c = LoadClient.login(t.port, "localhost", true, ScramHash.SHA_1, "bench" + (r * per + i), PASSWORD, tag);
                        c.send("<presence to='" + room + "/o" + Integer.toString(i, 36) + "'><x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='0'/></x></presence>");
                        if (i == 0) {
                            c.readUntilAny("code='201'", "code=\"201\"");
                            c.send("<iq type='set' id='w8cfg' to='" + room + "'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query></iq>");
                            c.readUntilAny("id='w8cfg'", "id=\"w8cfg\"");
                        } else {
                            c.readUntilAny("<subject");
                        }
                        ex.submit(() -> c.readMessages(ns -> {
                            received.incrementAndGet();
                            recorder.add(ns);
                        }));
                        clients.add(c);
                        roomOf.add(room);
                    }
                }
                quiesce(t); // the presence of everyone entering settles
                int seconds = integer("seconds");
                double perClient = integer("mucrate") / (double) per / clients.size(); // messages a second from each
                long interval = (long) (1e9 / perClient);
                List<Long> pids = t.pids();
                long received0 = received.get();
                jfr(t, "start", tag);
                long cpu0 = cpuMillis(pids);
                AtomicLong sent = new AtomicLong();
                recorder.recording = true;
                long s0 = System.nanoTime();
                long sEnd = s0 + TimeUnit.SECONDS.toNanos(seconds);
                List<java.util.concurrent.Future<?>> senders = new ArrayList<>();
                for (int k = 0; k < clients.size(); k++) {
                    LoadClient c = clients.get(k);
                    String room = roomOf.get(k);
                    long offset = (long) (Math.random() * interval);
                    senders.add(ex.submit(() -> {
                        for (long next = s0 + offset; next < sEnd; next += interval) {
                            long wait = next - System.nanoTime();
                            if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
                            c.send("<message to='" + room + "' type='groupchat'><body>" + sent.incrementAndGet() + " " + next + "</body></message>");
                        }
                        return null;
                    }));
                }
                for (var f : senders) f.get();
                long expected = sent.get() * per;
                long deadline = System.currentTimeMillis() + 15_000;
                while (System.currentTimeMillis() < deadline && received.get() - received0 < expected) Thread.sleep(20);
                long delivered = received.get() - received0;
                long cpu = cpuMillis(pids) - cpu0;
                jfr(t, "stop", tag);
                double secs = (System.nanoTime() - s0) / 1e9;
                putFanOut(t.name, label, "delivered copies/s", "delivered copy", "copies lost", delivered, expected, secs, cpu, recorder);
                for (LoadClient c : clients) c.close();
            }
        }
    }

    // --- W9 ---------------------------------------------------------------------------------------

    /**
     * W9 PEP fan-out (XEP-0163, each server's own PEP): one account and {@code pep} contacts, all
     * online and mutually subscribed, whose clients ask for User Tune notifications through their
     * entity capabilities (XEP-0115: one verification string, answered when the server asks); the
     * account publishes its tune, open loop, {@code peprate} times a second for {@code seconds}, and
     * every publish reaches every contact. Server CPU per delivered notification, and the latency of
     * each from its publish's scheduled time.
     */
    private void pepFanOut(Servers.Target t) throws Exception {
        int contacts = integer("pep");
        String label = "W9 PEP 1 account x " + contacts + " contacts";
        String node = "http://jabber.org/protocol/tune";
        String owner = "bench" + w9Base + "@localhost";
        List<String> features = new ArrayList<>(List.of("http://jabber.org/protocol/caps", "http://jabber.org/protocol/disco#info", node + "+notify"));
        java.util.Collections.sort(features);
        StringBuilder verInput = new StringBuilder("client/pc//bench<");
        for (String f : features) verInput.append(f).append('<');
        String ver = java.util.Base64.getEncoder().encodeToString(java.security.MessageDigest.getInstance("SHA-1").digest(verInput.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        StringBuilder info = new StringBuilder("<identity category='client' type='pc' name='bench'/>");
        for (String f : features) info.append("<feature var='").append(f).append("'/>");
        Recorder recorder = new Recorder();
        AtomicLong received = new AtomicLong();
        AtomicLong duplicates = new AtomicLong();
        AtomicLong lastArrival = new AtomicLong();
        java.util.regex.Pattern idAttr = java.util.regex.Pattern.compile("\\sid=['\"]([^'\"]*)['\"]");
        java.util.regex.Pattern fromAttr = java.util.regex.Pattern.compile("\\sfrom=['\"]([^'\"]*)['\"]");
        java.util.regex.Pattern nodeAttr = java.util.regex.Pattern.compile("\\snode=['\"]([^'\"]*)['\"]");
        List<LoadClient> clients = new ArrayList<>();
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            LoadClient publisher = LoadClient.login(t.port, "localhost", true, ScramHash.SHA_1, "bench" + w9Base, PASSWORD, "w9");
            clients.add(publisher);
            List<LoadClient> fans = new ArrayList<>();
            for (int i = 1; i <= contacts; i++) {
                LoadClient c = LoadClient.login(t.port, "localhost", true, ScramHash.SHA_1, "bench" + (w9Base + i), PASSWORD, "w9");
                fans.add(c);
                clients.add(c);
            }
            // mutual subscriptions: each contact asks, the account approves and asks back, the contact approves
            for (LoadClient c : fans) c.send("<presence type='subscribe' to='" + owner + "'/>");
            for (int i = 1; i <= contacts; i++) {
                String contact = "bench" + (w9Base + i) + "@localhost";
                publisher.send("<presence type='subscribed' to='" + contact + "'/><presence type='subscribe' to='" + contact + "'/>");
            }
            for (LoadClient c : fans) {
                c.readUntilAny("type='subscribe'", "type=\"subscribe\"");
                c.send("<presence type='subscribed' to='" + owner + "'/>");
            }
            ex.submit(() -> publisher.serve(stanza -> { }));
            publisher.send("<presence/>");
            for (LoadClient c : fans) {
                java.util.Set<Long> seen = java.util.concurrent.ConcurrentHashMap.newKeySet();
                ex.submit(() -> c.serve(stanza -> {
                    if (stanza.startsWith("<iq") && (stanza.contains("type='get'") || stanza.contains("type=\"get\""))) {
                        java.util.regex.Matcher id = idAttr.matcher(stanza);
                        java.util.regex.Matcher from = fromAttr.matcher(stanza);
                        if (!id.find() || !from.find()) return;
                        String reply;
                        if (stanza.contains("http://jabber.org/protocol/disco#info")) {
                            java.util.regex.Matcher n = nodeAttr.matcher(stanza);
                            reply = "<iq type='result' id='" + id.group(1) + "' to='" + from.group(1) + "'><query xmlns='http://jabber.org/protocol/disco#info'"
                                    + (n.find() ? " node='" + n.group(1) + "'" : "") + ">" + info + "</query></iq>";
                        } else {
                            reply = "<iq type='error' id='" + id.group(1) + "' to='" + from.group(1)
                                    + "'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>";
                        }
                        try {
                            c.send(reply);
                        } catch (IOException e) {
                            // closed
                        }
                    } else if (stanza.startsWith("<message") && stanza.contains("http://jabber.org/protocol/pubsub#event")) {
                        int title = stanza.indexOf("<title>");
                        if (title < 0) return;
                        long stamp = Long.parseLong(stanza.substring(title + 7, stanza.indexOf("</title>", title)).strip());
                        if (!seen.add(stamp)) { // the same publish twice to one client (a server may also send the last item on presence)
                            duplicates.incrementAndGet();
                            return;
                        }
                        received.incrementAndGet();
                        lastArrival.set(System.nanoTime());
                        recorder.add(System.nanoTime() - stamp);
                    }
                }));
                c.send("<presence><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='https://strata.dev/bench' ver='" + ver + "'/></presence>");
            }
            quiesce(t); // subscriptions, presence and the servers' questions about capabilities settle
            // one publish first: every contact must hear of it before the measured run
            publisher.send(tune(node, "w9warm", System.nanoTime()));
            long deadline = System.currentTimeMillis() + 30_000;
            while (System.currentTimeMillis() < deadline && received.get() < contacts) Thread.sleep(20);
            System.out.printf(Locale.ROOT, "  W9 warm-up publish reached %d of %d contacts%n", received.get(), contacts);
            quiesce(t);
            int seconds = integer("seconds");
            long interval = (long) (1e9 / Double.parseDouble(opt.get("peprate")));
            List<Long> pids = t.pids();
            long received0 = received.get();
            jfr(t, "start", "w9");
            long cpu0 = cpuMillis(pids);
            recorder.recording = true;
            long s0 = System.nanoTime();
            long sEnd = s0 + TimeUnit.SECONDS.toNanos(seconds);
            long sent = 0;
            for (long next = s0; next < sEnd; next += interval) {
                long wait = next - System.nanoTime();
                if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
                publisher.send(tune(node, "w9p" + sent, next));
                sent++;
            }
            long expected = sent * contacts;
            deadline = System.currentTimeMillis() + 15_000;
            while (System.currentTimeMillis() < deadline && received.get() - received0 < expected) Thread.sleep(20);
            long delivered = received.get() - received0;
            long cpu = cpuMillis(pids) - cpu0;
            jfr(t, "stop", "w9");
            // the rate over the run until the last notification came (not the wait for ones that never do)
            double secs = (Math.max(lastArrival.get(), sEnd) - s0) / 1e9;
            putFanOut(t.name, label, "notifications/s", "notification", "notifications lost", delivered, expected, secs, cpu, recorder);
            put(t.name, label + ": duplicates received (not counted)", Long.toString(duplicates.get()), duplicates.get());
            for (LoadClient c : clients) c.close();
        }
    }

    /** The rows of a fan-out run (W8, W9): deliveries a second, server CPU per delivery, latency, and what never came. */
    private void putFanOut(String server, String label, String rate, String per, String lost, long delivered, long expected, double secs, long cpuMs,
            Recorder recorder) {
        recorder.recording = false;
        int n = Math.min(recorder.count.get(), recorder.values.length);
        long[] lat = Arrays.copyOf(recorder.values, n);
        Arrays.sort(lat);
        put(server, label + ": " + rate, fmt(delivered / secs, 0), delivered / secs);
        put(server, label + ": server CPU µs per " + per, fmt(cpuMs * 1000.0 / Math.max(1, delivered), 2), cpuMs * 1000.0 / Math.max(1, delivered));
        put(server, label + ": p50 / p99 latency ms", fmt(pct(lat, n, 0.5) / 1e6, 2) + " / " + fmt(pct(lat, n, 0.99) / 1e6, 2), pct(lat, n, 0.99) / 1e6);
        put(server, label + ": " + lost + " (of those due)", (expected - delivered) + " (of " + expected + ")", expected - delivered);
    }

    private static String tune(String node, String id, long nanos) {
        return "<iq type='set' id='" + id + "'><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='" + node
                + "'><item><tune xmlns='" + node + "'><title>" + nanos + "</title></tune></item></publish></pubsub></iq>";
    }

    // --- W6 ---------------------------------------------------------------------------------------

    /**
     * {@code writers} clients each store private XML (XEP-0049), one write after the acknowledgement
     * of the previous, for {@code seconds}: acknowledged writes/s and server CPU per write. Strata
     * acknowledges a write once it survives a crash of the server process (CrashIT checks it).
     */
    private void durableWrites(Servers.Target t) throws Exception {
        int writers = integer("writers");
        double seconds = Double.parseDouble(opt.get("seconds"));
        quiesce(t);
        List<LoadClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < writers; i++) {
                clients.add(LoadClient.login(t.port, "localhost", true, ScramHash.SHA_1, "bench" + i, PASSWORD, "w6-" + i));
            }
            AtomicLong done = new AtomicLong();
            AtomicInteger failures = new AtomicInteger();
            List<Long> pids = t.pids();
            long cpu0 = cpuMillis(pids);
            long t0 = System.nanoTime();
            long end = t0 + (long) (seconds * 1e9);
            try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
                for (LoadClient c : clients) {
                    ex.submit(() -> {
                        try {
                            for (long n = 0; System.nanoTime() < end; n++) {
                                String id = "w6x" + n + "x";
                                c.send("<iq type='set' id='" + id + "'><query xmlns='jabber:iq:private'><n xmlns='bench:w6'>" + n + "</n></query></iq>");
                                String answer = c.readUntil(id);
                                String iq = answer.substring(Math.max(0, answer.lastIndexOf("<iq")));
                                if (iq.contains("type=\"error\"") || iq.contains("type='error'")) {
                                    failures.incrementAndGet();
                                }
                                done.incrementAndGet();
                            }
                        } catch (IOException e) {
                            failures.incrementAndGet();
                        }
                        return null;
                    });
                }
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            long cpu = cpuMillis(pids) - cpu0;
            put(t.name, "W6 durable writes (" + writers + " clients, private XML): acknowledged/s", fmt(done.get() / secs, 0), done.get() / secs);
            put(t.name, "W6 durable writes: server CPU µs/write; errors", fmt(cpu * 1000.0 / Math.max(1, done.get()), 0) + "; " + failures.get(),
                    cpu * 1000.0 / Math.max(1, done.get()));
        } finally {
            for (LoadClient c : clients) c.close();
        }
    }

    // --- W5 ---------------------------------------------------------------------------------------

    /**
     * A client that never reads while another sends it {@code slow} messages of 1 KB: the server's
     * resident memory before, at its peak and after, and, once the client finally reads, how many
     * of the messages reached it and whether the server had closed its stream.
     */
    private void slowReader(Servers.Target t) throws Exception {
        int count = integer("slow");
        quiesce(t);
        List<Long> pids = t.pids();
        long rss0 = rssKiB(pids), peak = rss0;
        String body = "x".repeat(1_000);
        try (LoadClient slow = LoadClient.login(t.port, "localhost", true, ScramHash.SHA_1, "bench0", PASSWORD, "w5-slow");
             LoadClient sender = LoadClient.login(t.port, "localhost", true, ScramHash.SHA_1, "bench1", PASSWORD, "w5-sender")) {
            for (int i = 0; i < count; i++) {
                sender.send("<message to='" + slow.jid + "' type='chat'><body>" + i + " " + body + "</body></message>");
                if (i % 500 == 0) peak = Math.max(peak, rssKiB(pids));
            }
            quiesce(t);
            peak = Math.max(peak, rssKiB(pids));
            long rss1 = rssKiB(pids);
            int[] got = {0};
            boolean closed = slow.drain(Duration.ofSeconds(10), () -> got[0]++);
            put(t.name, "W5 never-reading client, " + count + " msgs of 1 KB: server RSS before / peak / after, MiB",
                    fmt(rss0 / 1024.0, 1) + " / " + fmt(peak / 1024.0, 1) + " / " + fmt(rss1 / 1024.0, 1), (peak - rss0) / 1024.0);
            put(t.name, "W5 never-reading client: messages it got when it read; cut off", got[0] + "; " + (closed ? "yes" : "no"), got[0]);
        }
    }

    /**
     * With {@code profile=true}, records the Strata JVM with JFR (settings=profile, plus JDK 25's
     * CPU-time sampler, which charges native code such as BoringSSL's to its Java caller) around a
     * workload into {@code itests/bench/target/NAME.jfr}; read it with {@code jfr view hot-methods}
     * or {@code jfr view cpu-time-hot-methods}.
     */
    private void jfr(Servers.Target t, String action, String name) throws Exception {
        if (!Boolean.parseBoolean(opt.get("profile")) || !t.name.equals("strata")) return;
        String jcmd = ProcessHandle.current().info().command().map(c -> Path.of(c).resolveSibling("jcmd").toString()).orElse("jcmd");
        Path file = Path.of("itests/bench/target", name + ".jfr").toAbsolutePath();
        List<String> cmd = action.equals("start")
                ? List.of(jcmd, Long.toString(t.process.pid()), "JFR.start", "name=" + name, "settings=profile",
                        "jdk.CPUTimeSample#enabled=true", "jdk.CPUTimeSample#throttle=1ms")
                : List.of(jcmd, Long.toString(t.process.pid()), "JFR.stop", "name=" + name, "filename=" + file);
        Servers.run(cmd);
    }

    // --- W1 ---------------------------------------------------------------------------------------

    /**
     * Waits until the server is quiet (under 3% of one core over a second, at most a minute), so a
     * workload is not charged for the tail of the previous one (10,000 sessions closing, say).
     */
    private static void quiesce(Servers.Target t) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < deadline) {
            long c0 = cpuMillis(t.pids());
            Thread.sleep(1000);
            if (cpuMillis(t.pids()) - c0 <= 30) return;
        }
        System.out.println("  " + t.name + " did not go quiet within a minute");
    }

    /**
     * W1 and W2 measure the steady state: every server first gets the same {@code warmup} batches
     * of {@code batch} STARTTLS logins (15 x 2,000; the JVM's compiler threads take some 40,000
     * logins to go quiet, W3's included), then one batch of each other W1 flow. Each batch's cost
     * is printed, so the convergence can be seen.
     */
    private void warmUp(Servers.Target t) throws Exception {
        int batches = integer("warmup"), batch = integer("batch");
        double cost = Double.NaN;
        for (int i = 1; i <= batches; i++) {
            quiesce(t);
            cost = logins(t, true, ScramHash.SHA_1, batch, null);
            System.out.printf(Locale.ROOT, "  warm-up batch %d: %.2f ms/login%n", i, cost);
        }
        put(t.name, "Warm-up: STARTTLS logins before W1 (CPU ms/login of the last " + fmt(batch, 0) + ")",
                fmt(batches * batch, 0) + " (" + fmt(cost, 2) + ")", batches * batch);
        quiesce(t);
        if (t.scramSha256()) logins(t, true, ScramHash.SHA_256, batch, null);
        quiesce(t);
        logins(t, false, ScramHash.SHA_1, batch, null);
    }

    /** One login of the driver: the {@code k}-th, as resource {@code resource}. */
    @FunctionalInterface
    private interface Login {
        LoadClient login(int k, String resource) throws Exception;
    }

    /**
     * A reconnecting client with a XEP-0484 FAST token, SASL2 and Bind 2: one round trip after TLS
     * (a SCRAM login takes five). Each account gets a token first (one client per account), then a
     * warm-up batch, then {@code n} logins.
     */
    private void fastLogins(Servers.Target t, int n) throws Exception {
        String[] tokens = new String[users];
        String[] clients = new String[users];
        for (int i = 0; i < users; i++) {
            clients[i] = java.util.UUID.nameUUIDFromBytes(("bench" + i).getBytes(java.nio.charset.StandardCharsets.UTF_8)).toString();
            tokens[i] = LoadClient.fastToken(t.port, "localhost", "bench" + i, PASSWORD, clients[i]);
        }
        Login fast = (k, resource) -> LoadClient.loginFast(t.port, "localhost", "bench" + (k % users), tokens[k % users], clients[k % users], resource);
        logins(t, integer("batch"), null, fast);
        quiesce(t);
        jfr(t, "start", "w1-fast");
        logins(t, n, "W1 STARTTLS + SASL2 with a FAST token and Bind 2 (a reconnect)", fast);
        jfr(t, "stop", "w1-fast");
    }

    /**
     * {@code n} logins, {@code concurrency} at a time; prints the rows named {@code row} (none when
     * null); server CPU ms/login.
     */
    private double logins(Servers.Target t, boolean tls, ScramHash hash, int n, String row) throws Exception {
        return logins(t, n, row, (k, resource) -> LoadClient.login(t.port, "localhost", tls, hash, "bench" + (k % users), PASSWORD, resource));
    }

    private double logins(Servers.Target t, int n, String row, Login login) throws Exception {
        int concurrency = integer("concurrency");
        Semaphore gate = new Semaphore(concurrency);
        AtomicInteger failures = new AtomicInteger();
        AtomicInteger seq = new AtomicInteger();
        long[] latency = new long[n];
        Arrays.fill(latency, Long.MAX_VALUE);
        List<Long> pids = t.pids();
        long cpu0 = cpuMillis(pids);
        long self0 = selfCpuMillis();
        long t0 = System.nanoTime();
        String lastError = null;
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < n; i++) {
                gate.acquire();
                int k = i;
                ex.submit(() -> {
                    long s = System.nanoTime();
                    try (LoadClient c = login.login(k, "w1-" + seq.incrementAndGet())) {
                        latency[k] = System.nanoTime() - s;
                    } catch (Exception e) {
                        if (failures.incrementAndGet() <= 3) System.out.println("  login failed: " + e);
                    } finally {
                        gate.release();
                    }
                });
            }
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        long cpu = cpuMillis(pids) - cpu0;
        long self = selfCpuMillis() - self0;
        if (row == null) return (double) cpu / n;
        Arrays.sort(latency);
        int ok = n - failures.get();
        put(t.name, row + ": sessions/s", fmt(ok / secs, 0), ok / secs);
        put(t.name, row + ": server CPU ms/login", fmt((double) cpu / n, 2), (double) cpu / n);
        put(t.name, row + ": p50 / p99 ms to a bound session", fmt(pct(latency, ok, 0.5) / 1e6, 1) + " / " + fmt(pct(latency, ok, 0.99) / 1e6, 1),
                pct(latency, ok, 0.5) / 1e6);
        put(t.name, row + ": failures (driver CPU ms/login)", failures.get() + " (" + fmt((double) self / n, 2) + ")", failures.get());
        return (double) cpu / n;
    }

    private static double pct(long[] sorted, int count, double q) {
        if (count == 0) return Double.NaN;
        return sorted[Math.min(count - 1, (int) Math.floor(q * count))];
    }

    // --- W2 ---------------------------------------------------------------------------------------

    /** One online user of a pair: its session, its partner, what it sent and what reached it. */
    private static final class Peer {
        final LoadClient client;
        Peer partner;
        final AtomicLong sent = new AtomicLong();
        final AtomicLong received = new AtomicLong();
        final Semaphore window = new Semaphore(WINDOW);

        Peer(LoadClient client) {
            this.client = client;
        }
    }

    private static final int WINDOW = 64;

    /** Latencies of the messages received while recording, in nanoseconds. */
    private static final class Recorder {
        final long[] values = new long[8_000_000];
        final AtomicInteger count = new AtomicInteger();
        volatile boolean recording;

        void add(long ns) {
            if (!recording) return;
            int i = count.getAndIncrement();
            if (i < values.length) values[i] = ns;
        }
    }

    /** Logs in {@code 2 * pairs} users, each the partner of the next, with a reader counting what reaches each. */
    private List<Peer> pairUp(Servers.Target t, ExecutorService ex, Recorder recorder, String resource) throws Exception {
        return pairUp(t, ex, recorder, resource, (k, r) -> LoadClient.login(t.port, "localhost", true, ScramHash.SHA_1, "bench" + k, PASSWORD, r));
    }

    private List<Peer> pairUp(Servers.Target t, ExecutorService ex, Recorder recorder, String resource, Login login) throws Exception {
        List<Peer> peers = new ArrayList<>();
        for (int i = 0; i < 2 * integer("pairs"); i++) {
            peers.add(new Peer(login.login(i, resource)));
        }
        for (int i = 0; i < peers.size(); i += 2) {
            peers.get(i).partner = peers.get(i + 1);
            peers.get(i + 1).partner = peers.get(i);
        }
        for (Peer p : peers) {
            ex.submit(() -> p.client.readMessages(ns -> {
                p.received.incrementAndGet();
                p.partner.window.release();
                recorder.add(ns);
            }));
        }
        quiesce(t); // presence and roster traffic settles
        return peers;
    }

    /** What a saturation run delivered, in how long, at what CPU (server's and driver's, ms). */
    private record Saturation(double seconds, long delivered, long cpu, long self) {
    }

    /** Every user sends to its partner as fast as a window of unanswered messages allows, for {@code seconds}. */
    private static Saturation saturate(Servers.Target t, List<Peer> peers, ExecutorService ex, int seconds) throws Exception {
        return saturate(t.pids(), peers, peers, ex, seconds);
    }

    /** The same with {@code senders} alone sending (each to its partner), what {@code receivers} get counted, CPU of {@code pids}. */
    private static Saturation saturate(List<Long> pids, List<Peer> senders, List<Peer> receivers, ExecutorService ex, int seconds) throws Exception {
        long received0 = total(receivers, true);
        long cpu0 = cpuMillis(pids);
        long self0 = selfCpuMillis();
        long t0 = System.nanoTime();
        long end = t0 + TimeUnit.SECONDS.toNanos(seconds);
        List<java.util.concurrent.Future<?>> running = new ArrayList<>();
        for (Peer p : senders) {
            running.add(ex.submit(() -> {
                String to = p.partner.client.jid;
                while (System.nanoTime() < end) {
                    if (!p.window.tryAcquire(100, TimeUnit.MILLISECONDS)) continue;
                    p.client.message(to, p.sent.incrementAndGet());
                }
                return null;
            }));
        }
        for (var f : running) f.get();
        return new Saturation((System.nanoTime() - t0) / 1e9, total(receivers, true) - received0, cpuMillis(pids) - cpu0, selfCpuMillis() - self0);
    }

    private void messaging(Servers.Target t) throws Exception {
        int pairs = integer("pairs");
        int seconds = integer("seconds");
        Recorder recorder = new Recorder();
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Peer> peers = pairUp(t, ex, recorder, "w2");
            jfr(t, "start", "w2-saturation");
            Saturation sat = saturate(t, peers, ex, seconds);
            jfr(t, "stop", "w2-saturation");
            double secs = sat.seconds();
            long delivered = sat.delivered(), cpu = sat.cpu(), self = sat.self();
            double rate = delivered / secs;
            put(t.name, "W2 saturation: delivered msgs/s (" + pairs + " pairs)", fmt(rate, 0), rate);
            put(t.name, "W2 saturation: server CPU µs/msg", fmt(cpu * 1000.0 / delivered, 1), cpu * 1000.0 / delivered);
            put(t.name, "W2 saturation: driver CPU µs/msg", fmt(self * 1000.0 / delivered, 1), self * 1000.0 / delivered);
            long lostSat = drain(peers);
            put(t.name, "W2 saturation: messages lost", Long.toString(lostSat), lostSat);

            // latency at half of saturation, open loop: each message's latency counts from its scheduled send time
            double target = rate / 2;
            double perPeer = target / peers.size();
            long interval = (long) (1e9 / perPeer);
            long sentBefore = total(peers, false);
            recorder.recording = true;
            long s0 = System.nanoTime();
            long sEnd = s0 + TimeUnit.SECONDS.toNanos(seconds);
            List<java.util.concurrent.Future<?>> senders = new ArrayList<>();
            for (Peer p : peers) {
                long offset = (long) (Math.random() * interval);
                senders.add(ex.submit(() -> {
                    String to = p.partner.client.jid;
                    for (long next = s0 + offset; next < sEnd; next += interval) {
                        long wait = next - System.nanoTime();
                        if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
                        p.client.message(to, p.sent.incrementAndGet(), next);
                    }
                    return null;
                }));
            }
            for (var f : senders) f.get();
            long lost = drain(peers);
            recorder.recording = false;
            long sentAtHalf = total(peers, false) - sentBefore;
            int n = Math.min(recorder.count.get(), recorder.values.length);
            long[] lat = Arrays.copyOf(recorder.values, n);
            Arrays.sort(lat);
            put(t.name, "W2 at half of saturation: offered msgs/s", fmt(sentAtHalf / ((sEnd - s0) / 1e9), 0), target);
            put(t.name, "W2 at half: p50 / p99 / p999 latency ms", fmt(pct(lat, n, 0.5) / 1e6, 2) + " / " + fmt(pct(lat, n, 0.99) / 1e6, 2)
                    + " / " + fmt(pct(lat, n, 0.999) / 1e6, 2), pct(lat, n, 0.99) / 1e6);
            put(t.name, "W2 at half: messages lost (of those sent)", lost + " (of " + sentAtHalf + ")", lost);
            for (Peer p : peers) p.client.close();
        }
    }

    private static long total(List<Peer> peers, boolean received) {
        long sum = 0;
        for (Peer p : peers) sum += received ? p.received.get() : p.sent.get();
        return sum;
    }

    /** Waits up to 15 s for every sent message to arrive; returns how many did not. */
    private static long drain(List<Peer> peers) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 15_000;
        while (System.currentTimeMillis() < deadline && total(peers, false) > total(peers, true)) Thread.sleep(50);
        return total(peers, false) - total(peers, true);
    }

    // --- W11 --------------------------------------------------------------------------------------

    /** The bench's certificate authority in {@code dir} ({@code ca.pem}) and a certificate it issued for {@code domain} ({@code <domain>.crt}, .key). */
    private static Path authority(Path dir, String domain) throws Exception {
        Files.createDirectories(dir);
        Servers.run(List.of("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "30",
                "-subj", "/CN=Strata bench CA", "-addext", "basicConstraints=critical,CA:true", "-addext", "keyUsage=critical,keyCertSign",
                "-keyout", dir.resolve("ca.key").toString(), "-out", dir.resolve("ca.pem").toString()));
        Servers.run(List.of("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=" + domain,
                "-keyout", dir.resolve(domain + ".key").toString(), "-out", dir.resolve(domain + ".csr").toString()));
        Files.writeString(dir.resolve("ext.cnf"), "subjectAltName=DNS:" + domain + "\nextendedKeyUsage=serverAuth,clientAuth\n");
        Servers.run(List.of("openssl", "x509", "-req", "-in", dir.resolve(domain + ".csr").toString(), "-CA", dir.resolve("ca.pem").toString(),
                "-CAkey", dir.resolve("ca.key").toString(), "-CAcreateserial", "-days", "30", "-extfile", dir.resolve("ext.cnf").toString(),
                "-out", dir.resolve(domain + ".crt").toString()));
        Servers.run(List.of("chmod", "-R", "a+rX", dir.toString()));
        return dir.resolve("ca.pem");
    }

    /**
     * W11 server-to-server: a second Strata serving {@code sender.test}, with a certificate from the
     * bench's own authority, sends to the server under test ({@code localhost}, server-to-server on
     * with that authority trusted, so the stream authenticates with SASL EXTERNAL and no DNS is
     * needed: the sender finds the receiver through {@code strata.s2s hosts}). {@code pairs} users on
     * the sender each send to their partner on the receiver as fast as a window of unanswered
     * messages allows, for {@code seconds}, over one server-to-server stream: messages delivered a
     * second, and CPU per message of the receiving server and of the sending Strata.
     */
    private void federation(Path root, String receiver, Path dist) throws Exception {
        Files.createDirectories(root);
        Files.setPosixFilePermissions(root, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Path ca = authority(root.resolve("pki"), "sender.test");
        int pairs = integer("pairs"), seconds = integer("seconds");
        try (Servers.Target t = switch (receiver) {
            case "strata" -> new Servers.Strata(root, dist, null, false);
            case "prosody" -> new Servers.Prosody(root, false);
            case "ejabberd" -> new Servers.Ejabberd(root, false);
            default -> throw new IllegalArgumentException("unknown server " + receiver);
        }) {
            t.federationCa = ca;
            System.out.println("== " + t.name + " receiving from Strata over server-to-server (W11)");
            t.start();
            t.createUsers(pairs, PASSWORD);
            try (Servers.Strata sender = Servers.Strata.sender(root, dist, "sender.test", ca, "localhost=127.0.0.1:" + t.s2sPort)) {
                sender.start();
                sender.createUsers(pairs, PASSWORD);
                try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
                    List<Peer> senders = new ArrayList<>(), receivers = new ArrayList<>();
                    for (int i = 0; i < pairs; i++) {
                        Peer from = new Peer(LoadClient.login(sender.port, "sender.test", true, ScramHash.SHA_1, "bench" + i, PASSWORD, "w11"));
                        Peer to = new Peer(LoadClient.login(t.port, "localhost", true, ScramHash.SHA_1, "bench" + i, PASSWORD, "w11"));
                        from.partner = to;
                        to.partner = from;
                        senders.add(from);
                        receivers.add(to);
                    }
                    for (Peer p : receivers) {
                        ex.submit(() -> p.client.readMessages(ns -> {
                            p.received.incrementAndGet();
                            p.partner.window.release();
                        }));
                    }
                    // the stream comes up (TLS, SASL EXTERNAL) with the first messages
                    for (Peer p : senders) p.client.message(p.partner.client.jid, p.sent.incrementAndGet());
                    long deadline = System.currentTimeMillis() + 30_000;
                    while (total(receivers, true) < pairs && System.currentTimeMillis() < deadline) Thread.sleep(20);
                    if (total(receivers, true) < pairs) {
                        throw new IllegalStateException("the server-to-server stream to " + t.name + " did not carry the first messages; see " + sender.dir);
                    }
                    for (Peer p : senders) p.window.release(); // the warm-up messages were answered
                    quiesce(t);
                    List<Long> senderPids = sender.pids();
                    long senderCpu0 = cpuMillis(senderPids);
                    Saturation sat = saturate(t.pids(), senders, receivers, ex, seconds);
                    double secs = sat.seconds();
                    long delivered = sat.delivered(), cpu = sat.cpu(), senderCpu = cpuMillis(senderPids) - senderCpu0;
                    List<Peer> all = new ArrayList<>(senders);
                    all.addAll(receivers); // senders only send, receivers only receive
                    long lost = drain(all);
                    put(t.name, "W11 s2s from Strata: delivered msgs/s (" + pairs + " pairs, one stream)", fmt(delivered / secs, 0), delivered / secs);
                    put(t.name, "W11 s2s: receiving server CPU µs/msg", fmt(cpu * 1000.0 / delivered, 1), cpu * 1000.0 / delivered);
                    put(t.name, "W11 s2s: sending Strata CPU µs/msg", fmt(senderCpu * 1000.0 / delivered, 1), senderCpu * 1000.0 / delivered);
                    put(t.name, "W11 s2s: messages lost", Long.toString(lost), lost);
                    for (Peer p : senders) p.client.close();
                    for (Peer p : receivers) p.client.close();
                }
            }
        }
    }

    // --- W7 ---------------------------------------------------------------------------------------

    private static final int QUERIES = 300;
    /** Queries of each kind first, not timed: a freshly started server compiles its query path meanwhile (fewer left C2 compiling during the timed ones). */
    private static final int WARM_UP_QUERIES = 300;

    /**
     * Archiving on (a server of its own, see {@link Servers}): {@code archived} messages filled into
     * bench0's archive straight in the server's table, then pages of 50 asked for over a real stream
     * (the newest page; and, with a partner, the page after a random id), timed from the query's
     * last byte to its answer's; then W2's saturation with every message archived, twice (sender's
     * and recipient's archive): server CPU per archived routed message, after as long again of the
     * same load as warm-up. The rows the archive gained are counted, so a server that did not
     * archive cannot pass for a fast one.
     */
    private void archived(Servers.Target t) throws Exception {
        int fill = integer("archived");
        String owner = "bench0@localhost";
        System.out.println("== " + t.name + " with archiving on");
        t.start();
        t.createUsers(users, PASSWORD);
        // one message archived first: Prosody creates its tables at its first use of them
        try (LoadClient a = LoadClient.login(t.port, "localhost", true, ScramHash.SHA_1, "bench1", PASSWORD, "w7");
             LoadClient b = LoadClient.login(t.port, "localhost", true, ScramHash.SHA_1, "bench2", PASSWORD, "w7")) {
            a.message(b.jid, 0);
            b.readUntil("</message>");
        }
        quiesce(t);
        t.close();
        long f0 = System.nanoTime();
        t.fillArchive(owner, fill);
        List<String[]> sample = t.archiveSample(owner, QUERIES, fill);
        long rows0 = t.archivedRows();
        System.out.printf(Locale.ROOT, "  %,d messages filled into %s's archive in %.1f s; %d sample ids%n", fill, owner, (System.nanoTime() - f0) / 1e9, sample.size());
        if (sample.size() < QUERIES / 2 || rows0 < fill) throw new IllegalStateException("the fill did not land: " + rows0 + " rows, " + sample.size() + " ids");
        t.start();
        quiesce(t);
        long[] newest = new long[QUERIES], after = new long[QUERIES];
        int partial = 0;
        try (LoadClient c = LoadClient.login(t.port, "localhost", true, ScramHash.SHA_1, "bench0", PASSWORD, "w7-query")) {
            for (int q = -WARM_UP_QUERIES; q < QUERIES; q++) {
                if (q == 0) jfr(t, "start", "w7-queries");
                String[] s = sample.get(Math.floorMod(q, sample.size()));
                long n = page(c, "n" + (q + WARM_UP_QUERIES), null);
                long a = page(c, "a" + (q + WARM_UP_QUERIES), s);
                if (n < 0 || a < 0) partial++;
                if (q >= 0) {
                    newest[q] = Math.abs(n);
                    after[q] = Math.abs(a);
                }
            }
        }
        jfr(t, "stop", "w7-queries");
        Arrays.sort(newest);
        Arrays.sort(after);
        String of = " from " + fmt(fill, 0) + " archived";
        put(t.name, "W7 page of 50" + of + ", newest: p50 / p99 ms", fmt(pct(newest, QUERIES, 0.5) / 1e6, 2) + " / " + fmt(pct(newest, QUERIES, 0.99) / 1e6, 2),
                pct(newest, QUERIES, 0.99) / 1e6);
        put(t.name, "W7 page of 50" + of + ", a partner's after an id: p50 / p99 ms",
                fmt(pct(after, QUERIES, 0.5) / 1e6, 2) + " / " + fmt(pct(after, QUERIES, 0.99) / 1e6, 2), pct(after, QUERIES, 0.99) / 1e6);
        put(t.name, "W7 queries answered with less than a full page", Integer.toString(partial), partial);

        int seconds = integer("seconds");
        long delivered, lost;
        Saturation sat;
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Peer> peers = pairUp(t, ex, new Recorder(), "w7");
            saturate(t, peers, ex, seconds); // warm-up
            drain(peers);
            quiesce(t);
            jfr(t, "start", "w7-saturation");
            sat = saturate(t, peers, ex, seconds);
            jfr(t, "stop", "w7-saturation");
            lost = drain(peers);
            delivered = total(peers, true);
            for (Peer p : peers) p.client.close();
        }
        quiesce(t);
        t.close();
        long rows = t.archivedRows() - rows0;
        put(t.name, "W7 archive on, saturation: delivered msgs/s (" + integer("pairs") + " pairs)", fmt(sat.delivered() / sat.seconds(), 0),
                sat.delivered() / sat.seconds());
        put(t.name, "W7 archive on: server CPU µs per archived routed msg", fmt(sat.cpu() * 1000.0 / sat.delivered(), 1), sat.cpu() * 1000.0 / sat.delivered());
        put(t.name, "W7 archive on: archive rows per delivered msg; lost", fmt((double) rows / delivered, 2) + "; " + lost, (double) rows / delivered);
    }

    /**
     * One MAM query for a page of 50: the newest ({@code after} null), or a partner's after an id
     * ({@code after} the id and partner): nanoseconds from the query sent to its answer's end,
     * negative when the answer was not a full page.
     */
    private static long page(LoadClient c, String id, String[] after) throws IOException {
        String form = after == null ? "" : "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>urn:xmpp:mam:2</value></field>"
                + "<field var='with'><value>" + after[1] + "</value></field></x>";
        String rsm = after == null ? "<before/>" : "<after>" + after[0] + "</after>";
        long t0 = System.nanoTime();
        c.send("<iq type='set' id='w7" + id + "x'><query xmlns='urn:xmpp:mam:2' queryid='q" + id + "'>" + form
                + "<set xmlns='http://jabber.org/protocol/rsm'><max>50</max>" + rsm + "</set></query></iq>");
        String got = c.readUntil("w7" + id + "x");
        got += c.readUntil("</iq>");
        long ns = System.nanoTime() - t0;
        boolean full = got.split("<result ", -1).length == 51 && !got.contains("type='error'") && !got.contains("type=\"error\"");
        if (!full) System.out.println("  not a full page of 50 for " + id + ": " + got.substring(Math.max(0, got.length() - 600)));
        return full ? ns : -ns;
    }

    // --- W10 --------------------------------------------------------------------------------------

    /** W10: a login over XMPP over WebSocket ({@code ws://}, RFC 7395) with SCRAM-SHA-1, bind and presence, as account {@code k}. */
    private Login webSocketLogin(Servers.Target t) {
        return (k, resource) -> LoadClient.loginWs(t.httpPort, t.webSocketPath(), "localhost", ScramHash.SHA_1, "bench" + (k % users), PASSWORD, resource);
    }

    /**
     * W10, XMPP over WebSocket on each server's plain HTTP port (Strata's own, Prosody's
     * mod_websocket, ejabberd's ejabberd_http_ws): logins (after a warm-up batch), then W2's
     * saturation with every user on a WebSocket; rows to set beside W1 plain TCP and W2. The idle
     * cost of a WebSocket session is measured with W3 (W3's sessions still open).
     */
    private void webSocket(Servers.Target t) throws Exception {
        Login ws = webSocketLogin(t);
        quiesce(t);
        logins(t, integer("batch"), null, ws);
        quiesce(t);
        jfr(t, "start", "w10-logins");
        logins(t, integer("logins"), "W10 WebSocket (ws://) + SCRAM-SHA-1", ws);
        jfr(t, "stop", "w10-logins");
        quiesce(t);
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Peer> peers = pairUp(t, ex, new Recorder(), "w10", ws);
            jfr(t, "start", "w10-saturation");
            Saturation sat = saturate(t, peers, ex, integer("seconds"));
            jfr(t, "stop", "w10-saturation");
            double rate = sat.delivered() / sat.seconds();
            put(t.name, "W10 WebSocket saturation: delivered msgs/s (" + integer("pairs") + " pairs)", fmt(rate, 0), rate);
            put(t.name, "W10 WebSocket saturation: server CPU µs/msg", fmt(sat.cpu() * 1000.0 / sat.delivered(), 1), sat.cpu() * 1000.0 / sat.delivered());
            long lost = drain(peers);
            put(t.name, "W10 WebSocket saturation: messages lost", Long.toString(lost), lost);
            for (Peer p : peers) p.client.close();
        }
    }

    // --- W3 ---------------------------------------------------------------------------------------

    private void idle(Servers.Target t) throws Exception {
        idle(t, "W3", "", (k, r) -> LoadClient.login(t.port, "localhost", true, ScramHash.SHA_1, "bench" + (k % users), PASSWORD, r));
    }

    /** Resident memory with 0, then with each {@code idle} level of sessions logged in by {@code login}, on a server that has had no other load. */
    private void idle(Servers.Target t, String workload, String kind, Login login) throws Exception {
        List<LoadClient> open = new java.util.concurrent.CopyOnWriteArrayList<>();
        int settle = integer("settle");
        Thread.sleep(settle * 1000L);
        long base = rssKiB(t.pids());
        put(t.name, workload + " resident memory with 0 sessions, MiB", fmt(base / 1024.0, 1), base / 1024.0);
        AtomicInteger failures = new AtomicInteger();
        try {
            for (String level : opt.get("idle").split(",")) {
                int target = Integer.parseInt(level);
                openIdle(open, open.size(), target, login, failures, "idle");
                Thread.sleep(settle * 1000L);
                long rss = rssKiB(t.pids());
                double per = (double) (rss - base) / open.size();
                put(t.name, workload + " " + target + " idle" + kind + " sessions: MiB, KiB/session", fmt(rss / 1024.0, 1) + ", " + fmt(per, 1), per);
            }
            put(t.name, workload + " idle logins failed", Integer.toString(failures.get()), failures.get());
        } finally {
            for (LoadClient c : open) c.close();
        }
    }

    /** Logs in sessions {@code from} to {@code to} (exclusive), {@code concurrency} at a time, as resources {@code resource<k>}, into {@code open}. */
    private void openIdle(List<LoadClient> open, int from, int to, Login login, AtomicInteger failures, String resource) throws InterruptedException {
        Semaphore gate = new Semaphore(integer("concurrency"));
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = from; i < to; i++) {
                gate.acquire();
                int k = i;
                ex.submit(() -> {
                    try {
                        open.add(login.login(k, resource + k));
                    } catch (Exception e) {
                        if (failures.incrementAndGet() <= 3) System.out.println("  " + resource + " login failed: " + e);
                    } finally {
                        gate.release();
                    }
                });
            }
        }
    }

    // --- /proc ------------------------------------------------------------------------------------

    static long cpuMillis(List<Long> pids) throws IOException {
        long sum = 0;
        for (long pid : pids) {
            try {
                String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                sum += (Long.parseLong(f[11]) + Long.parseLong(f[12])) * TICK_MS;
            } catch (java.nio.file.NoSuchFileException e) {
                // exited
            }
        }
        return sum;
    }

    static long selfCpuMillis() throws IOException {
        return cpuMillis(List.of(ProcessHandle.current().pid()));
    }

    static long rssKiB(List<Long> pids) throws IOException {
        long sum = 0;
        for (long pid : pids) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                    if (line.startsWith("VmRSS:")) sum += Long.parseLong(line.replaceAll("\\D", ""));
                }
            } catch (java.nio.file.NoSuchFileException e) {
                // exited
            }
        }
        return sum;
    }

    private static String machine() throws IOException {
        String cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name")).findFirst()
                .map(l -> l.substring(l.indexOf(':') + 2)).orElse("?");
        return Runtime.getRuntime().availableProcessors() + " cores (" + cpu + "), Java " + Runtime.version();
    }

    private static String fmt(double v, int decimals) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%,." + decimals + "f", v);
    }

    // --- the table --------------------------------------------------------------------------------

    private String render(List<String> servers, String machine) {
        StringBuilder sb = new StringBuilder();
        sb.append("Side by side on ").append(machine).append(", driver on the same machine; options ").append(opt).append("\n\n");
        sb.append("| workload |");
        servers.forEach(s -> sb.append(' ').append(s).append(" |"));
        for (String s : servers) if (!s.equals("strata") && servers.contains("strata")) sb.append(" strata/").append(s).append(" |");
        sb.append("\n|---|");
        servers.forEach(s -> sb.append("---|"));
        for (String s : servers) if (!s.equals("strata") && servers.contains("strata")) sb.append("---|");
        sb.append('\n');
        table.forEach((row, byServer) -> {
            sb.append("| ").append(row).append(" |");
            servers.forEach(s -> sb.append(' ').append(byServer.getOrDefault(s, "n/a")).append(" |"));
            Map<String, Double> n = numbers.get(row);
            for (String s : servers) {
                if (s.equals("strata") || !servers.contains("strata")) continue;
                Double a = n.get("strata");
                Double b = n.get(s);
                sb.append(' ').append(a == null || b == null || b == 0 || row.contains("failures") || row.contains("lost")
                        ? "" : fmt(a / b, 2)).append(" |");
            }
            sb.append('\n');
        });
        return sb.toString();
    }
}
