package dev.strata.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import javax.net.ssl.TrustManagerFactory;

import dev.strata.bench.Loopback;

/**
 * One Strata server from the assembled distribution, started through {@code bin/strata run} on a
 * free loopback port with its own data folder, and stopped (with its process tree) on close.
 * Commands reach it through the OpenSSH client with a freshly generated ed25519 key.
 */
final class StrataServer implements AutoCloseable {
    static final Path DIST = Path.of(System.getProperty("strata.dist", "../runtime/target/strata")).toAbsolutePath().normalize();
    static final Path WORK = Path.of(System.getProperty("strata.work", "target/it-work")).toAbsolutePath().normalize();
    /** The repository's root (the tests run in itests/e2e): the README and the plugin guide are read from it. */
    static final Path REPOSITORY = Path.of("../..").toAbsolutePath().normalize();

    final Path home;
    final Path data;
    final Path key;
    final int sshPort;
    final int c2sPort;
    final int c2sTlsPort;
    final int httpPort;
    final int httpsPort;
    /** The XEP-0114 component listener's port (loopback). */
    final int componentPort;
    /** The XEP-0065 proxy's SOCKS5 listener port. */
    final int proxyPort;
    /** The server-to-server listener's port. */
    final int s2sPort;
    final Map<String, String> env = new HashMap<>();
    private final Path console;
    private Process process;

    /** A process result: exit status and both outputs. */
    record Result(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    private StrataServer(Path home, Path data, int sshPort, Map<String, String> env) throws IOException, InterruptedException {
        this.home = home;
        this.data = data;
        this.sshPort = sshPort;
        this.c2sPort = Integer.parseInt(env.get("STRATA_C2S_PORT"));
        this.c2sTlsPort = Integer.parseInt(env.get("STRATA_C2S_TLS_PORT"));
        this.httpPort = Integer.parseInt(env.get("STRATA_HTTP_PORT"));
        this.httpsPort = Integer.parseInt(env.get("STRATA_HTTPS_PORT"));
        this.componentPort = Integer.parseInt(env.getOrDefault("STRATA_COMPONENT_PORT", "5347"));
        this.proxyPort = Integer.parseInt(env.getOrDefault("STRATA_PROXY_PORT", "7777"));
        this.s2sPort = Integer.parseInt(env.getOrDefault("STRATA_S2S_PORT", "5269"));
        this.console = data.resolve("console-out.log");
        Files.createDirectories(data.resolve("ssh"));
        this.key = data.resolve("test_ed25519");
        Result gen = run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "itest", "-f", key.toString()), Map.of(), Duration.ofSeconds(30));
        assertThat(gen.exit()).as("ssh-keygen: %s", gen).isZero();
        Files.copy(Path.of(key + ".pub"), data.resolve("ssh/authorized_keys"), StandardCopyOption.REPLACE_EXISTING);
        this.env.putAll(env);
    }

    /** {@code bin/strata register} with this server's data folder (the server must be stopped). */
    static Result register(Path home, Path data, String user, String domain, String password) {
        return run(List.of(home.resolve("bin/strata").toString(), "register", user, domain, password),
                Map.of("STRATA_DATA_PATH", data.toString()), Duration.ofSeconds(60));
    }

    /** A fresh copy of the distribution under {@code name}, started on its own ports. */
    static StrataServer startFresh(String name) throws IOException, InterruptedException {
        Path home = freshHome(name);
        return start(home, home.resolve("data"), Map.of());
    }

    /** A fresh copy of the distribution with these accounts on localhost, each with the password NAME-Pw-1; not started. */
    static Path freshHome(String name, String... users) throws IOException {
        Path home = freshHome(name);
        for (String user : users) {
            Result r = register(home, home.resolve("data"), user, "localhost", user + "-Pw-1");
            assertThat(r.exit()).as("register %s: %s", user, r).isZero();
        }
        return home;
    }

    /** A fresh copy of the distribution, not started. */
    static Path freshHome(String name) throws IOException {
        Path home = WORK.resolve(name);
        deleteTree(home);
        copyTree(DIST, home);
        return home;
    }

    /** Another server from an existing distribution folder, with its own data folder. */
    static StrataServer start(Path home, Path data, Map<String, String> env) throws IOException, InterruptedException {
        return start(home, data, Loopback.freePort(), env);
    }

    /** A server whose SSH port and data folder are given as STRATA_* variables (which win over .env). */
    static StrataServer start(Path home, Path data, int sshPort, Map<String, String> env) throws IOException, InterruptedException {
        Map<String, String> all = new HashMap<>(loopbackPorts());
        all.putAll(env);
        all.put("STRATA_SSH_PORT", Integer.toString(sshPort));
        all.put("STRATA_DATA_PATH", data.toString());
        StrataServer s = new StrataServer(home, data, sshPort, all);
        s.start();
        return s;
    }

    /** A fresh distribution configured only through its .env file: {@code dotEnv} plus port and data folder. */
    static StrataServer startWithDotEnv(String name, String dotEnv) throws IOException, InterruptedException {
        Path home = WORK.resolve(name);
        deleteTree(home);
        copyTree(DIST, home);
        int port = Loopback.freePort();
        Map<String, String> ports = loopbackPorts();
        StringBuilder env = new StringBuilder("# written by the test\nSTRATA_SSH_PORT=" + port + "\nSTRATA_DATA_PATH=./data-env\n");
        ports.forEach((k, v) -> env.append(k).append('=').append(v).append('\n'));
        Files.writeString(home.resolve(".env"), env + dotEnv);
        StrataServer s = new StrataServer(home, home.resolve("data-env"), port, ports);
        s.start();
        return s;
    }

    void start() throws IOException {
        ProcessBuilder pb = new ProcessBuilder(home.resolve("bin/strata").toString(), "run");
        pb.environment().putAll(env);
        pb.redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(console.toFile()));
        process = pb.start();
        await(Duration.ofSeconds(90), "the server to report its boot and open the SSH port", () -> {
            if (!process.isAlive()) throw new AssertionError("the server exited: " + consoleLog());
            return consoleLog().contains("Strata started in") && Loopback.listening(sshPort) && Loopback.listening(c2sPort) && Loopback.listening(c2sTlsPort)
                    && Loopback.listening(httpPort) && Loopback.listening(httpsPort);
        });
    }

    /** Every test server listens on 127.0.0.1 only, on ports picked for it. */
    static Map<String, String> loopbackPorts() throws IOException {
        return Map.of("STRATA_BIND", "127.0.0.1", "STRATA_C2S_PORT", Integer.toString(Loopback.freePort()),
                "STRATA_C2S_TLS_PORT", Integer.toString(Loopback.freePort()), "STRATA_HTTP_PORT", Integer.toString(Loopback.freePort()),
                "STRATA_HTTPS_PORT", Integer.toString(Loopback.freePort()), "STRATA_COMPONENT_PORT", Integer.toString(Loopback.freePort()),
                "STRATA_PROXY_PORT", Integer.toString(Loopback.freePort()), "STRATA_S2S_PORT", Integer.toString(Loopback.freePort()),
                "STRATA_S2S_TLS_PORT", Integer.toString(Loopback.freePort()));
    }

    String consoleLog() {
        try {
            return Files.exists(console) ? Files.readString(console, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The rotated log file logs/strata.log (in the data folder unless it is the default one). */
    String log() {
        Path file = (data.equals(home.resolve("data")) ? home.resolve("logs") : data.resolve("logs")).resolve("strata.log");
        try {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Trusts exactly the server's (self-signed) certificate: Smack still checks it and its name. */
    /** An HTTP client that trusts this server's certificate for localhost (made at its first start). */
    java.net.http.HttpClient httpClient() throws Exception {
        javax.net.ssl.SSLContext tls = javax.net.ssl.SSLContext.getInstance("TLS");
        tls.init(null, trusting(data.resolve("certs/localhost.crt")).getTrustManagers(), null);
        return java.net.http.HttpClient.newBuilder().sslContext(tls).connectTimeout(java.time.Duration.ofSeconds(10)).build();
    }

    static TrustManagerFactory trusting(Path cert) throws Exception {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        ks.setCertificateEntry("strata", certificate(cert));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        return tmf;
    }

    /** The certificate in a PEM file. */
    static java.security.cert.X509Certificate certificate(Path pem) throws Exception {
        try (InputStream in = Files.newInputStream(pem)) {
            return (java.security.cert.X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    /** Runs one console command over SSH, as an admin would from a shell. */
    Result ssh(String command) {
        return ssh(key, command);
    }

    Result ssh(Path identity, String command) {
        return run(sshCommand(identity, command), Map.of(), Duration.ofSeconds(60));
    }

    List<String> sshCommand(Path identity, String command) {
        List<String> cmd = new ArrayList<>(List.of("ssh", "-p", Integer.toString(sshPort), "-i", identity.toString(),
                "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=no",
                "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=20", "admin@127.0.0.1"));
        if (command != null) cmd.add(command);
        return cmd;
    }

    /** Runs {@code bin/strata ARGS} with this server's environment. */
    Result strata(Map<String, String> extraEnv, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(home.resolve("bin/strata").toString());
        cmd.addAll(List.of(args));
        Map<String, String> e = new HashMap<>(env);
        e.putAll(extraEnv);
        return run(cmd, e, Duration.ofSeconds(60));
    }

    static Result run(List<String> command, Map<String, String> env, Duration timeout) {
        return run(command, env, timeout, null);
    }

    static Result run(List<String> command, Map<String, String> env, Duration timeout, String input) {
        try {
            Path out = Files.createTempFile("strata-it", ".out");
            Path err = Files.createTempFile("strata-it", ".err");
            ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
            pb.environment().putAll(env);
            if (input == null) pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            Process p = pb.start();
            var stdin = input == null ? null : p.outputWriter(StandardCharsets.UTF_8);
            if (stdin != null) {
                stdin.write(input); // kept open like a person's terminal: the program's own 'exit' ends it
                stdin.flush();
            }
            boolean finished = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (stdin != null) {
                try {
                    stdin.close();
                } catch (IOException ignored) {
                    // the process is gone already
                }
            }
            if (!finished) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new AssertionError(command + " did not finish in " + timeout);
            }
            Result r = new Result(p.exitValue(), Files.readString(out), Files.readString(err));
            Files.delete(out);
            Files.delete(err);
            return r;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Waits for a condition, polling, until a deadline; fails with {@code what} when it passes. */
    static void await(Duration timeout, String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (condition.getAsBoolean()) return;
            if (System.nanoTime() > deadline) throw new AssertionError("Timed out after " + timeout + " waiting for " + what);
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    /** Waits until {@code probe} returns a value that satisfies {@code ok}; returns the last value and the elapsed time. */
    static <T> T awaitValue(Duration timeout, String what, Supplier<T> probe, java.util.function.Predicate<T> ok) {
        Object[] last = new Object[1];
        try {
            await(timeout, what, () -> {
                last[0] = probe.get();
                return ok.test(cast(last[0]));
            });
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; last value:\n" + last[0], e);
        }
        return cast(last[0]);
    }

    @SuppressWarnings("unchecked")
    private static <T> T cast(Object o) {
        return (T) o;
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** Stops the server: SIGTERM (the framework stops cleanly), then SIGKILL if it lingers. */
    void stop() throws InterruptedException {
        if (process == null) return;
        List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
        tree.forEach(ProcessHandle::destroyForcibly);
        process = null;
    }

    /** Kills the server as a crash would: SIGKILL to the process and its children, no shutdown hooks. */
    void kill() throws InterruptedException {
        if (process == null) return;
        List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
        tree.forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly().waitFor();
        for (ProcessHandle h : tree) h.onExit().join();
        process = null;
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    static void copyTree(Path from, Path to) throws IOException {
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Path rel = from.relativize(dir);
                if (rel.toString().equals("data") || rel.toString().equals("logs")) {
                    Files.createDirectories(to.resolve(rel));
                    return FileVisitResult.SKIP_SUBTREE;
                }
                Files.createDirectories(to.resolve(rel));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.copy(file, to.resolve(from.relativize(file)), StandardCopyOption.COPY_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
                return FileVisitResult.CONTINUE;
            }
        });
        Files.list(to.resolve("plugins")).forEach(p -> {
            try {
                Files.delete(p);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** Copies a folder as it is. */
    static void copyTreePlain(Path from, Path to) throws IOException {
        try (var s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(t);
                else Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
