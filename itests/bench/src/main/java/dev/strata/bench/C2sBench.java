package dev.strata.bench;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.strata.api.auth.ScramHash;

/**
 * Client connections under load, against a fresh copy of the distribution on loopback ports:
 * STARTTLS + SCRAM-SHA-256 + bind logins per second (and server CPU per login, from /proc), then
 * resident memory per idle authenticated session. The driver caches the salted password, so
 * PBKDF2 runs once, not per login; its own CPU is printed too.
 */
public final class C2sBench {

    public static void main(String[] args) throws Exception {
        Path dist = Path.of(args[0]).toAbsolutePath();
        Map<String, Integer> opt = new HashMap<>(Map.of("logins", 2000, "concurrency", 32, "idle", 2000));
        for (int i = 1; i < args.length; i++) {
            String[] kv = args[i].split("=");
            opt.put(kv[0], Integer.parseInt(kv[1]));
        }
        Path home = Files.createTempDirectory("strata-bench");
        for (String dir : List.of("bin", "lib", "system", "config", "features")) {
            new ProcessBuilder("cp", "-r", dist.resolve(dir).toString(), home.toString()).inheritIO().start().waitFor();
        }
        // one driver address opens thousands of sessions: lift the per-address limit for this run
        Files.writeString(home.resolve("config/stack/01-transport/strata.transport.c2s.cfg"), "max.connections.per.ip = 1000000\n",
                java.nio.file.StandardOpenOption.APPEND);
        int c2s = Loopback.freePort();
        Map<String, String> env = Map.of("STRATA_BIND", "127.0.0.1", "STRATA_C2S_PORT", Integer.toString(c2s),
                "STRATA_C2S_TLS_PORT", Integer.toString(Loopback.freePort()), "STRATA_SSH_PORT", Integer.toString(Loopback.freePort()),
                "STRATA_DATA_PATH", home.resolve("data").toString());
        run(home, env, "bin/strata", "register", "bench", "localhost", "bench-password");
        ProcessBuilder pb = new ProcessBuilder(home.resolve("bin/strata").toString(), "run").redirectErrorStream(true)
                .redirectOutput(home.resolve("server.out").toFile());
        pb.environment().putAll(env);
        Process server = pb.start();
        try {
            long deadline = System.currentTimeMillis() + 120_000;
            while (!Loopback.listening(c2s)) {
                if (System.currentTimeMillis() > deadline || !server.isAlive()) throw new IllegalStateException("server did not start");
                Thread.sleep(100);
            }
            long pid = server.pid();
            System.out.printf("Strata benchmark on %d cores, server pid %d%n", Runtime.getRuntime().availableProcessors(), pid);
            login(c2s).close(); // warm-up connection, and the salted password cached
            for (int i = 0; i < 200; i++) login(c2s).close(); // JIT warm-up

            int logins = opt.get("logins");
            Semaphore gate = new Semaphore(opt.get("concurrency"));
            AtomicInteger failures = new AtomicInteger();
            long cpu0 = cpuMillis(pid);
            long self0 = selfCpuMillis();
            long t0 = System.nanoTime();
            try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < logins; i++) {
                    gate.acquire();
                    ex.submit(() -> {
                        try {
                            login(c2s).close();
                        } catch (Exception e) {
                            failures.incrementAndGet();
                        } finally {
                            gate.release();
                        }
                    });
                }
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            long cpu = cpuMillis(pid) - cpu0;
            System.out.printf("W1 logins (STARTTLS + SCRAM-SHA-256 + bind), %d at concurrency %d: %.0f logins/s, server CPU %.2f ms/login, "
                    + "driver CPU %.2f ms/login, %d failures%n", logins, opt.get("concurrency"), logins / secs, (double) cpu / logins,
                    (double) (selfCpuMillis() - self0) / logins, failures.get());

            int idle = opt.get("idle");
            long rss0 = rssKiB(pid);
            List<Socket> sessions = new ArrayList<>();
            for (int i = 0; i < idle; i++) sessions.add(login(c2s));
            Thread.sleep(3000);
            long rss1 = rssKiB(pid);
            System.out.printf("W3 idle sessions: RSS %d KiB with none, %d KiB with %d: %.1f KiB per idle authenticated session%n",
                    rss0, rss1, idle, (double) (rss1 - rss0) / idle);
            for (Socket s : sessions) s.close();
        } finally {
            server.destroy();
            server.waitFor(30, TimeUnit.SECONDS);
            new ProcessBuilder("rm", "-rf", home.toString()).start().waitFor();
        }
    }

    /** One client: STARTTLS, SCRAM-SHA-256, bind; returns the open TLS socket. */
    static Socket login(int port) throws Exception {
        RawXmppClient.Login l = RawXmppClient.login(port, false, "bench", "bench-password", ScramHash.SHA_256, null);
        if (!l.success()) throw new IllegalStateException("login failed: " + l.transcript());
        return l.socket();
    }

    private static long cpuMillis(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10; // utime + stime, in 10 ms ticks
    }

    private static long selfCpuMillis() throws IOException {
        return cpuMillis(ProcessHandle.current().pid());
    }

    private static long rssKiB(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("\\D", ""));
        }
        throw new IllegalStateException("no VmRSS for " + pid);
    }

    private static void run(Path home, Map<String, String> env, String... cmd) throws Exception {
        List<String> c = new ArrayList<>(List.of(cmd));
        c.set(0, home.resolve(cmd[0]).toString());
        ProcessBuilder pb = new ProcessBuilder(c).inheritIO();
        pb.environment().putAll(env);
        if (pb.start().waitFor() != 0) throw new IllegalStateException("failed: " + c);
    }
}
