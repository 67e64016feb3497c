package dev.strata.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The servers the benchmark compares, each started from its own config and data directory under
 * a temporary directory, listening on 127.0.0.1 ports chosen here, with a production-like module
 * set (archiving off, no traffic shaping), STARTTLS offered but not required so the plain-TCP
 * variant can run too, and accounts created with the server's own tool.
 */
final class Servers {
    private Servers() {
    }

    /** One server under test. */
    abstract static class Target implements AutoCloseable {
        final String name;
        final Path dir;
        final int port;
        Process process;
        long startNanos;
        /** W4: process start to the client port accepting; and to fully started where the server says so. */
        double portOpenSeconds = Double.NaN;
        double readySeconds = Double.NaN;

        Target(String name, Path root) throws IOException {
            this.name = name;
            this.dir = Files.createDirectories(root.resolve(name));
            this.port = Loopback.freePort();
        }

        abstract void prepare() throws Exception;

        abstract ProcessBuilder command();

        /** Creates {@code count} accounts {@code bench0..} with {@code password}, with the server's own tool. */
        abstract void createUsers(int count, String password) throws Exception;

        /** Whether the server says it is fully started (after its port opened). */
        boolean ready() throws IOException {
            return true;
        }

        /** Whether the server offers SCRAM-SHA-256 with the passwords as its tool stored them. */
        boolean scramSha256() {
            return true;
        }

        void start() throws Exception {
            prepare();
            ProcessBuilder pb = command().redirectErrorStream(true).redirectOutput(dir.resolve("server.out").toFile());
            startNanos = System.nanoTime();
            process = pb.start();
            long deadline = System.currentTimeMillis() + 180_000;
            while (!Loopback.listening(port)) {
                if (System.currentTimeMillis() > deadline || !process.isAlive()) {
                    throw new IllegalStateException(name + " did not start; see " + dir.resolve("server.out"));
                }
                Thread.sleep(20);
            }
            portOpenSeconds = (System.nanoTime() - startNanos) / 1e9;
            while (!ready()) {
                if (System.currentTimeMillis() > deadline) throw new IllegalStateException(name + " never said it started");
                Thread.sleep(20);
            }
            readySeconds = (System.nanoTime() - startNanos) / 1e9;
        }

        /** The process and its descendants: CPU and memory are summed over them. */
        List<Long> pids() {
            List<Long> pids = new ArrayList<>();
            pids.add(process.pid());
            process.descendants().forEach(p -> pids.add(p.pid()));
            return pids;
        }

        @Override
        public void close() throws Exception {
            if (process == null) return;
            process.descendants().forEach(ProcessHandle::destroy);
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
        }
    }

    /**
     * {@code command} run as {@code user} with setpriv: unlike runuser and su it does not pass
     * through PAM, whose limits would cap the server at 1,024 open files.
     */
    static List<String> as(String user, List<String> command) {
        List<String> c = new ArrayList<>(List.of("setpriv", "--reuid=" + user, "--regid=" + user, "--init-groups", "--reset-env"));
        c.addAll(command);
        return c;
    }

    /** Runs commands, {@code parallel} at a time, failing on the first non-zero exit. */
    static void runAll(List<List<String>> commands, int parallel, Map<String, String> env) throws Exception {
        try (ExecutorService ex = Executors.newFixedThreadPool(parallel)) {
            List<Future<?>> fs = new ArrayList<>();
            for (List<String> c : commands) {
                fs.add(ex.submit(() -> {
                    ProcessBuilder pb = new ProcessBuilder(c).redirectErrorStream(true);
                    pb.environment().putAll(env);
                    Process p = pb.start();
                    String out = new String(p.getInputStream().readAllBytes());
                    if (p.waitFor() != 0) throw new IllegalStateException("failed: " + c + "\n" + out);
                    return null;
                }));
            }
            for (Future<?> f : fs) f.get();
        }
    }

    static void run(List<String> command) throws Exception {
        runAll(List.of(command), 1, Map.of());
    }

    /**
     * A self-signed certificate and key for {@code localhost}, as PEM files in {@code dir}: ECDSA
     * P-256, the kind Strata generates for itself, so every server signs its handshakes alike.
     */
    static void selfSigned(Path dir) throws Exception {
        run(List.of("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "30", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=DNS:localhost", "-keyout", dir.resolve("key.pem").toString(), "-out", dir.resolve("cert.pem").toString()));
    }

    /** Strata from the assembled distribution. */
    static final class Strata extends Target {
        private final Path dist;
        private final Map<String, String> env;
        /** A PostgreSQL database (libpq URL, emptied first) instead of the embedded H2, or null. */
        private final String postgres;

        Strata(Path root, Path dist) throws IOException {
            this(root, dist, null);
        }

        /** Strata on PostgreSQL, {@code postgresql://user:password@127.0.0.1/db}: the database is emptied first. */
        Strata(Path root, Path dist, String postgres) throws IOException {
            super(postgres == null ? "strata" : "strata-pg", root);
            if (postgres != null && !postgres.matches("postgresql://[^:@/]+:[^@/]*@127\\.0\\.0\\.1(:\\d+)?/\\w+")) {
                throw new IllegalArgumentException("pg= wants postgresql://USER:PASSWORD@127.0.0.1[:PORT]/DB, not " + postgres);
            }
            this.postgres = postgres;
            this.dist = dist;
            this.env = Map.of("STRATA_BIND", "127.0.0.1", "STRATA_C2S_PORT", Integer.toString(port),
                    "STRATA_C2S_TLS_PORT", Integer.toString(Loopback.freePort()), "STRATA_SSH_PORT", Integer.toString(Loopback.freePort()),
                    "STRATA_DATA_PATH", dir.resolve("data").toString());
        }

        @Override
        void prepare() throws Exception {
            for (String d : List.of("bin", "lib", "system", "config", "features")) {
                run(List.of("cp", "-r", dist.resolve(d).toString(), dir.toString()));
            }
            // one driver address opens thousands of sessions; STARTTLS offered, not required (the plain variant)
            Files.writeString(dir.resolve("config/stack/01-transport/strata.transport.c2s.cfg"), "max.connections.per.ip = 1000000\n",
                    java.nio.file.StandardOpenOption.APPEND);
            Path security = dir.resolve("config/policies/security.cfg");
            Files.writeString(security, Files.readString(security).replace("tls.required = true", "tls.required = false"));
            if (postgres != null) {
                run(List.of("psql", "-q", postgres, "-c", "DROP SCHEMA public CASCADE; CREATE SCHEMA public;"));
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("postgresql://([^:]+):([^@]*)@(.*)").matcher(postgres);
                if (!m.matches()) throw new IllegalStateException(postgres);
                Path cfg = dir.resolve("config/stack/06-storage/strata.storage.jdbc.cfg");
                Files.createDirectories(cfg.getParent());
                Files.writeString(cfg, "url = jdbc:postgresql://" + m.group(3) + "\nuser = " + m.group(1) + "\npassword = " + m.group(2) + "\n");
            }
        }

        @Override
        ProcessBuilder command() {
            ProcessBuilder pb = new ProcessBuilder(dir.resolve("bin/strata").toString(), "run");
            pb.environment().putAll(env);
            return pb;
        }

        @Override
        boolean ready() throws IOException {
            return Files.readString(dir.resolve("server.out")).contains("Strata started in");
        }

        @Override
        void createUsers(int count, String password) throws Exception {
            // the admin console, one SSH session per 100 accounts
            List<List<String>> cmds = new ArrayList<>();
            for (int from = 0; from < count; from += 100) {
                StringBuilder script = new StringBuilder();
                for (int i = from; i < Math.min(count, from + 100); i++) {
                    script.append(script.isEmpty() ? "" : "; ").append("user:add bench").append(i).append("@localhost ").append(password);
                }
                cmds.add(List.of(dir.resolve("bin/strata").toString(), "shell", script.toString()));
            }
            runAll(cmds, 2, env);
        }
    }

    /** Prosody 0.12 from the Debian package, run as user prosody (it refuses root). */
    static final class Prosody extends Target {
        Prosody(Path root) throws IOException {
            super("prosody", root);
        }

        @Override
        boolean scramSha256() {
            return false; // 0.12 offers SCRAM-SHA-1 only (SCRAM-SHA-256 arrives in 13.0)
        }

        private Path config() {
            return dir.resolve("prosody.cfg.lua");
        }

        @Override
        void prepare() throws Exception {
            selfSigned(dir);
            Files.createDirectories(dir.resolve("data"));
            Files.writeString(config(), """
                    -- production-like: the modules of Debian's default configuration, archiving off
                    pidfile = "%1$s/prosody.pid"
                    data_path = "%1$s/data"
                    daemonize = false
                    network_backend = "epoll"
                    tcp_backlog = 1024
                    interfaces = { "127.0.0.1" }
                    c2s_ports = { %2$d }
                    c2s_direct_tls_ports = { }
                    s2s_ports = { }
                    component_ports = { }
                    http_ports = { }
                    https_ports = { }
                    log = { warn = "%1$s/prosody.log" }
                    authentication = "internal_hashed"
                    c2s_require_encryption = false
                    allow_unencrypted_plain_auth = false
                    s2s_secure_auth = false
                    modules_enabled = {
                        "roster"; "saslauth"; "tls"; "disco"; "carbons"; "pep"; "private"; "blocklist"; "vcard4"; "vcard_legacy";
                        "version"; "uptime"; "time"; "ping"; "register"; "admin_adhoc"; "offline"; "smacks"; "csi_simple";
                    }
                    modules_disabled = { "s2s" }
                    VirtualHost "localhost"
                        ssl = { key = "%1$s/key.pem"; certificate = "%1$s/cert.pem" }
                    """.formatted(dir, port));
            run(List.of("chown", "-R", "prosody:prosody", dir.toString()));
        }

        @Override
        ProcessBuilder command() {
            return new ProcessBuilder(as("prosody", List.of("prosody", "--config", config().toString())));
        }

        @Override
        void createUsers(int count, String password) throws Exception {
            List<List<String>> cmds = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                cmds.add(as("prosody", List.of("prosodyctl", "--config", config().toString(), "register", "bench" + i, "localhost", password)));
            }
            runAll(cmds, 4, Map.of());
        }
    }

    /** ejabberd 23.01 from the Debian package, on a node of its own. */
    static final class Ejabberd extends Target {
        private final String node = "bench" + ProcessHandle.current().pid() + "@localhost";

        Ejabberd(Path root) throws IOException {
            super("ejabberd", root);
        }

        private List<String> ctl(String... args) {
            // as the ejabberd user itself, so ejabberdctl does not switch users through su (and PAM's limits)
            List<String> c = new ArrayList<>(List.of("/usr/sbin/ejabberdctl", "--ctl-config", dir.resolve("ejabberdctl.cfg").toString(),
                    "--config", dir.resolve("ejabberd.yml").toString(), "--spool",
                    dir.resolve("db").toString(), "--logs", dir.resolve("logs").toString(), "--node", node));
            c.addAll(List.of(args));
            return as("ejabberd", c);
        }

        @Override
        void prepare() throws Exception {
            selfSigned(dir);
            Files.writeString(dir.resolve("all.pem"), Files.readString(dir.resolve("cert.pem")) + Files.readString(dir.resolve("key.pem")));
            Files.createDirectories(dir.resolve("db"));
            // Debian's ejabberdctl.cfg names /etc/ejabberd/ejabberd.yml; this one keeps the package's settings but the paths
            Files.writeString(dir.resolve("ejabberdctl.cfg"), "ERL_OPTIONS=\"-env ERL_CRASH_DUMP_BYTES 0\"\nEJABBERD_PID_PATH=" + dir.resolve("ejabberd.pid")
                    + "\nCONTRIB_MODULES_CONF_DIR=/etc/ejabberd/modules.d\n");
            Files.createDirectories(dir.resolve("logs"));
            // the modules of Debian's default configuration that a chat server runs, archiving off, no shaper
            Files.writeString(dir.resolve("ejabberd.yml"), """
                    hosts:
                      - localhost
                    loglevel: warning
                    certfiles:
                      - %1$s/all.pem
                    define_macro:
                      'TLS_OPTIONS':
                        - "no_sslv3"
                        - "no_tlsv1"
                        - "no_tlsv1_1"
                        - "cipher_server_preference"
                        - "no_compression"
                    listen:
                      -
                        port: %2$d
                        ip: "127.0.0.1"
                        module: ejabberd_c2s
                        max_stanza_size: 262144
                        backlog: 1024
                        shaper: none
                        access: c2s
                        starttls: true
                        starttls_required: false
                        protocol_options: 'TLS_OPTIONS'
                    s2s_use_starttls: optional
                    auth_method: internal
                    auth_password_format: scram
                    acl:
                      loopback:
                        ip:
                          - 127.0.0.0/8
                    access_rules:
                      local:
                        allow: all
                      c2s:
                        allow: all
                    shaper_rules:
                      max_user_sessions: 100000
                      max_user_offline_messages: 100
                      c2s_shaper: none
                    modules:
                      mod_adhoc: {}
                      mod_blocking: {}
                      mod_caps: {}
                      mod_carboncopy: {}
                      mod_disco: {}
                      mod_last: {}
                      mod_offline:
                        access_max_user_messages: max_user_offline_messages
                      mod_ping: {}
                      mod_privacy: {}
                      mod_private: {}
                      mod_pubsub:
                        plugins:
                          - flat
                          - pep
                      mod_roster:
                        versioning: true
                      mod_stream_mgmt: {}
                      mod_vcard: {}
                      mod_version:
                        show_os: false
                    """.formatted(dir, port));
            run(List.of("chown", "-R", "ejabberd:ejabberd", dir.toString()));
        }

        @Override
        ProcessBuilder command() {
            return new ProcessBuilder(ctl("foreground"));
        }

        @Override
        boolean ready() throws IOException {
            // the port opens before the host's modules are all started; ejabberdctl status says when it is
            try {
                Process p = new ProcessBuilder(ctl("status")).redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes());
                return p.waitFor() == 0 && out.contains("is started");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }

        @Override
        boolean scramSha256() {
            return false; // stores SCRAM-SHA-1 keys unless auth_scram_hash says otherwise; one hash per deployment
        }

        @Override
        void createUsers(int count, String password) throws Exception {
            List<List<String>> cmds = new ArrayList<>();
            for (int i = 0; i < count; i++) cmds.add(ctl("register", "bench" + i, "localhost", password));
            runAll(cmds, 4, Map.of());
        }

        @Override
        public void close() throws Exception {
            try {
                run(ctl("stop"));
            } catch (Exception e) {
                // fall through to killing it
            }
            super.close();
        }
    }
}
