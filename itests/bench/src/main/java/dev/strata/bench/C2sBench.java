package dev.strata.bench;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

import dev.strata.api.auth.Scram;
import dev.strata.api.auth.ScramHash;

/**
 * Client connections under load, against a fresh copy of the distribution on loopback ports:
 * STARTTLS + SCRAM-SHA-256 + bind logins per second (and server CPU per login, from /proc), then
 * resident memory per idle authenticated session. The driver caches the salted password, so
 * PBKDF2 runs once, not per login; its own CPU is printed too.
 */
public final class C2sBench {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Map<String, byte[]> SALTED = new ConcurrentHashMap<>();
    private static final SSLContext TRUST_ALL = trustAll();

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
        int c2s = freePort();
        Map<String, String> env = Map.of("STRATA_BIND", "127.0.0.1", "STRATA_C2S_PORT", Integer.toString(c2s),
                "STRATA_C2S_TLS_PORT", Integer.toString(freePort()), "STRATA_SSH_PORT", Integer.toString(freePort()),
                "STRATA_DATA_PATH", home.resolve("data").toString());
        run(home, env, "bin/strata", "register", "bench", "localhost", "bench-password");
        ProcessBuilder pb = new ProcessBuilder(home.resolve("bin/strata").toString(), "run").redirectErrorStream(true)
                .redirectOutput(home.resolve("server.out").toFile());
        pb.environment().putAll(env);
        Process server = pb.start();
        try {
            long deadline = System.currentTimeMillis() + 120_000;
            while (!listening(c2s)) {
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
        Socket plain = new Socket(InetAddress.getLoopbackAddress(), port);
        plain.setSoTimeout(30_000);
        String header = "<?xml version='1.0'?><stream:stream to='localhost' version='1.0' xmlns='jabber:client' "
                + "xmlns:stream='http://etherx.jabber.org/streams'>";
        send(plain.getOutputStream(), header);
        read(plain.getInputStream(), "</stream:features>");
        send(plain.getOutputStream(), "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
        read(plain.getInputStream(), "<proceed");
        SSLSocket tls = (SSLSocket) TRUST_ALL.getSocketFactory().createSocket(plain, "localhost", port, true);
        tls.startHandshake();
        InputStream in = tls.getInputStream();
        OutputStream out = tls.getOutputStream();
        send(out, header);
        read(in, "</stream:features>");
        String cnonce = Base64.getEncoder().encodeToString(nonce());
        String clientFirstBare = "n=bench,r=" + cnonce;
        send(out, "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-256'>"
                + Base64.getEncoder().encodeToString(("n,," + clientFirstBare).getBytes(UTF_8)) + "</auth>");
        String challenge = upTo(read(in, "</challenge>"), "</challenge>");
        String serverFirst = new String(Base64.getDecoder().decode(challenge.substring(challenge.lastIndexOf('>') + 1)), UTF_8);
        Map<String, String> a = new HashMap<>();
        for (String p : serverFirst.split(",")) a.put(p.substring(0, 1), p.substring(2));
        byte[] salted = SALTED.computeIfAbsent(a.get("s") + a.get("i"), k -> Scram.saltedPassword(ScramHash.SHA_256,
                Scram.preparePassword("bench-password"), Base64.getDecoder().decode(a.get("s")), Integer.parseInt(a.get("i"))));
        String withoutProof = "c=biws,r=" + a.get("r");
        byte[] authMessage = (clientFirstBare + "," + serverFirst + "," + withoutProof).getBytes(UTF_8);
        byte[] clientKey = Scram.hmac(ScramHash.SHA_256, salted, "Client Key".getBytes(UTF_8));
        byte[] signature = Scram.hmac(ScramHash.SHA_256, Scram.digest(ScramHash.SHA_256, clientKey), authMessage);
        for (int i = 0; i < clientKey.length; i++) clientKey[i] ^= signature[i];
        send(out, "<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" + Base64.getEncoder().encodeToString(
                (withoutProof + ",p=" + Base64.getEncoder().encodeToString(clientKey)).getBytes(UTF_8)) + "</response>");
        String outcome = read(in, "</success>");
        if (!outcome.contains("<success")) throw new IllegalStateException("login failed: " + outcome);
        send(out, header);
        read(in, "</stream:features>");
        send(out, "<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>");
        read(in, "</iq>");
        return tls;
    }

    private static byte[] nonce() {
        byte[] b = new byte[18];
        RANDOM.nextBytes(b);
        return b;
    }

    private static String upTo(String s, String end) {
        return s.substring(0, s.indexOf(end));
    }

    private static void send(OutputStream out, String s) throws IOException {
        out.write(s.getBytes(UTF_8));
        out.flush();
    }

    /** Reads until {@code marker} (or a SASL failure) arrives; returns what was read. */
    private static String read(InputStream in, String marker) throws IOException {
        StringBuilder sb = new StringBuilder();
        byte[] buf = new byte[4096];
        while (!sb.toString().contains(marker) && !sb.toString().contains("</failure>") && !sb.toString().contains("</stream:stream>")) {
            int n = in.read(buf);
            if (n < 0) throw new IOException("closed: " + sb);
            sb.append(new String(buf, 0, n, UTF_8));
        }
        return sb.toString();
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

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void run(Path home, Map<String, String> env, String... cmd) throws Exception {
        List<String> c = new ArrayList<>(List.of(cmd));
        c.set(0, home.resolve(cmd[0]).toString());
        ProcessBuilder pb = new ProcessBuilder(c).inheritIO();
        pb.environment().putAll(env);
        if (pb.start().waitFor() != 0) throw new IllegalStateException("failed: " + c);
    }

    private static SSLContext trustAll() {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[] {new X509TrustManager() {
                @Override
                public void checkClientTrusted(X509Certificate[] chain, String authType) {
                }

                @Override
                public void checkServerTrusted(X509Certificate[] chain, String authType) {
                }

                @Override
                public X509Certificate[] getAcceptedIssuers() {
                    return new X509Certificate[0];
                }
            }}, null);
            return ctx;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
