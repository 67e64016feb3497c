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

import dev.strata.storage.jdbc.internal.H2;

/**
 * The servers the benchmark compares, each started from its own config and data directory under
 * a temporary directory, listening on 127.0.0.1 ports chosen here, with a production-like module
 * set (archiving off, no traffic shaping), STARTTLS offered but not required so the plain-TCP
 * variant can run too, and accounts created with the server's own tool. With {@link Target#archive}
 * (W7) each archives every one-to-one message in its SQL store: Strata in its embedded H2 (or
 * PostgreSQL), Prosody's mod_mam and ejabberd's mod_mam in SQLite, their embedded SQL choice.
 */
final class Servers {
    private Servers() {
    }

    /** One server under test. */
    abstract static class Target implements AutoCloseable {
        final String name;
        final Path dir;
        final int port;
        /** W10: the plain HTTP port of XMPP over WebSocket ({@code ws://127.0.0.1:httpPort/xmpp-websocket}, each server's own path). */
        final int httpPort;
        /** W7: every one-to-one message archived (XEP-0313 on, default policy always, SQL storage). */
        final boolean archive;
        /** W11: where other servers connect (server-to-server, STARTTLS). */
        final int s2sPort;
        /**
         * W11: the certificate authority (PEM) whose servers this one authenticates with SASL EXTERNAL;
         * null: no federation (Prosody and ejabberd run with server-to-server off, as for W1-W10).
         */
        Path federationCa;
        private boolean prepared;
        Process process;
        long startNanos;
        /** W4: process start to the client port accepting; and to fully started where the server says so. */
        double portOpenSeconds = Double.NaN;
        double readySeconds = Double.NaN;

        Target(String name, Path root, boolean archive) throws IOException {
            this.name = name;
            this.archive = archive;
            this.dir = Files.createDirectories(root.resolve(name + (archive ? "-archive" : "")));
            this.port = Loopback.freePort();
            this.httpPort = Loopback.freePort();
            this.s2sPort = Loopback.freePort();
        }

        /** W10: the path of XMPP over WebSocket on {@link #httpPort}. */
        String webSocketPath() {
            return "/xmpp-websocket";
        }

        abstract void prepare() throws Exception;

        /**
         * W7, with the server stopped: {@code count} chat messages straight into {@code owner}'s
         * archive in the server's own table, one every 30 s from 2025-12-01, from partners
         * {@code bench1..bench20} in turn, as the server itself would have stored them.
         */
        abstract void fillArchive(String owner, int count) throws Exception;

        /**
         * W7, with the server stopped: {@code count} random archive ids of {@code owner}'s filled
         * messages among the first 90% of the {@code filled} (so a page after one is full), each with
         * its partner's bare JID.
         */
        abstract List<String[]> archiveSample(String owner, int count, int filled) throws Exception;

        /** W7, with the server stopped: the rows in the server's archive table, all accounts. */
        abstract long archivedRows() throws Exception;

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

        /**
         * Whether the server as installed here offers XEP-0388 SASL2 with XEP-0484 FAST tokens and
         * XEP-0386 Bind 2 (Debian's Prosody 0.12 and ejabberd 23.01 do not: Strata alone).
         */
        boolean fast() {
            return false;
        }

        /** Starts the server (prepared the first time); again after {@link #close()} on the same data. */
        void start() throws Exception {
            if (!prepared) prepare();
            prepared = true;
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
            List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
            tree.forEach(ProcessHandle::destroy);
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                tree.forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
            for (ProcessHandle h : tree) h.onExit().get(30, TimeUnit.SECONDS);
            process = null;
        }
    }

    /** A W7 fill's first stamp, in seconds since the epoch: 2025-12-01T00:00Z; then 30 s a message. */
    static final long FILL_START = 1_764_547_200L;

    /** One filled message as each server stores it: SQL text expressions over the row number {@code x}. */
    static String filledStanza(String owner, String x) {
        String partner = "'bench' || (" + x + " % 20 + 1) || '@localhost'";
        return "'<message xmlns=\"jabber:client\" type=\"chat\" from=\"' || " + partner + " || '/w7\" to=\"" + owner
                + "\" id=\"f' || " + x + " || '\"><body>message number ' || " + x + " || ' of a long year of conversations</body></message>'";
    }

    /** Runs {@code command}; its standard output, failing on a non-zero exit. */
    static String output(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) throw new IllegalStateException("failed: " + command + "\n" + out);
        return out;
    }

    /** Rows of whitespace-separated fields, the output of a database shell asked for two columns. */
    static List<String[]> rows(String out) {
        List<String[]> rows = new ArrayList<>();
        for (String line : out.split("\n")) {
            String[] f = line.trim().split("[\\s|]+");
            if (f.length == 2 && !f[0].isEmpty() && Character.isDigit(f[0].charAt(f[0].length() - 1)) && f[1].contains("@")) rows.add(f);
        }
        return rows;
    }

    /** A single number printed by a database shell. */
    static long number(String out) {
        for (String line : out.split("\n")) {
            if (line.trim().matches("\\d+")) return Long.parseLong(line.trim());
        }
        throw new IllegalStateException("no number in: " + out);
    }

    /** SQLite's shell, as {@code user} (who owns the file). */
    static String sqlite(String user, Path db, String sql) throws Exception {
        return output(as(user, List.of("sqlite3", "-batch", "-separator", " ", db.toString(), sql)));
    }

    /** A recursive CTE of {@code count} row numbers {@code x}, for SQLite. */
    static String series(int count) {
        return "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r WHERE x < " + count + ") ";
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
        /** The domain it serves ({@code localhost}, or W11's sending server's). */
        final String domain;
        /** W11, the sending server: where the receiving server listens ({@code strata.s2s hosts}), or null. */
        private String s2sHosts;

        /** W11's sending server: {@code domain}, with a certificate from {@code ca} (PEM files {@code <domain>.crt}/.key beside it). */
        static Strata sender(Path root, Path dist, String domain, Path ca, String hosts) throws IOException {
            Strata s = new Strata(root, dist, null, false, domain);
            s.federationCa = ca;
            s.s2sHosts = hosts;
            return s;
        }

        /** Strata on PostgreSQL, {@code postgresql://user:password@127.0.0.1/db} (emptied first), or on H2 for null. */
        Strata(Path root, Path dist, String postgres, boolean archive) throws IOException {
            this(root, dist, postgres, archive, "localhost");
        }

        private Strata(Path root, Path dist, String postgres, boolean archive, String domain) throws IOException {
            super(postgres == null ? (domain.equals("localhost") ? "strata" : "strata-" + domain) : "strata-pg", root, archive);
            this.domain = domain;
            if (postgres != null && !postgres.matches("postgresql://[^:@/]+:[^@/]*@127\\.0\\.0\\.1(:\\d+)?/\\w+")) {
                throw new IllegalArgumentException("pg= wants postgresql://USER:PASSWORD@127.0.0.1[:PORT]/DB, not " + postgres);
            }
            this.postgres = postgres;
            this.dist = dist;
            this.env = Map.ofEntries(Map.entry("STRATA_BIND", "127.0.0.1"),
                    Map.entry("STRATA_C2S_PORT", Integer.toString(port)),
                    Map.entry("STRATA_C2S_TLS_PORT", Integer.toString(Loopback.freePort())),
                    Map.entry("STRATA_SSH_PORT", Integer.toString(Loopback.freePort())),
                    Map.entry("STRATA_HTTP_PORT", Integer.toString(httpPort)),
                    Map.entry("STRATA_HTTPS_PORT", Integer.toString(Loopback.freePort())),
                    Map.entry("STRATA_COMPONENT_PORT", Integer.toString(Loopback.freePort())),
                    Map.entry("STRATA_PROXY_PORT", Integer.toString(Loopback.freePort())),
                    Map.entry("STRATA_S2S_PORT", Integer.toString(s2sPort)),
                    Map.entry("STRATA_S2S_TLS_PORT", Integer.toString(Loopback.freePort())),
                    Map.entry("STRATA_DOMAIN", domain), Map.entry("STRATA_ADMIN_JID", "admin@" + domain),
                    Map.entry("STRATA_DATA_PATH", dir.resolve("data").toString()));
        }

        @Override
        boolean fast() {
            return true;
        }

        @Override
        void prepare() throws Exception {
            for (String d : List.of("bin", "lib", "system", "config", "features")) {
                run(List.of("cp", "-r", dist.resolve(d).toString(), dir.toString()));
            }
            // one driver address opens thousands of sessions; STARTTLS offered, not required (the plain variant)
            Files.writeString(dir.resolve("config/stack/01-transport/strata.transport.c2s.cfg"), "max.connections.per.ip = 1000000\n",
                    java.nio.file.StandardOpenOption.APPEND);
            Files.writeString(dir.resolve("config/stack/01-transport/strata.transport.http.cfg"), "max.connections.per.ip = 1000000\n",
                    java.nio.file.StandardOpenOption.APPEND);
            Path security = dir.resolve("config/policies/security.cfg");
            Files.writeString(security, Files.readString(security).replace("tls.required = true", "tls.required = false"));
            Path mam = dir.resolve("config/stack/06-storage/strata.xep0313.cfg");
            // archiving off is what a bench account gets anyway (the default policy archives roster contacts only)
            Files.writeString(mam, Files.readString(mam).replace("default.policy = roster", "default.policy = " + (archive ? "always" : "never")));
            if (federationCa != null) {
                // W11: other servers' certificates from the bench authority count (SASL EXTERNAL); the sender dials the receiver where it listens
                // no traffic shaping, as for the others (Prosody's mod_limits is off, ejabberd's s2s shaper unset)
                Files.writeString(dir.resolve("config/stack/02-stream/strata.s2s.cfg"), "trust.store = " + federationCa + "\nmax.stanzas.per.second = 0\n"
                        + (s2sHosts == null ? "" : "hosts = " + s2sHosts + "\n"));
                Path certs = Files.createDirectories(dir.resolve("data/certs"));
                for (String ext : List.of(".crt", ".key")) {
                    Path issued = federationCa.resolveSibling(domain + ext);
                    if (Files.exists(issued)) Files.copy(issued, certs.resolve(domain + ext));
                }
            }
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

        /** On PostgreSQL, the database server's processes too: its CPU is spent for Strata. */
        @Override
        List<Long> pids() {
            List<Long> pids = super.pids();
            if (postgres != null) {
                ProcessHandle.allProcesses().filter(p -> p.info().command().map(c -> c.endsWith("/postgres")).orElse(false))
                        .forEach(p -> pids.add(p.pid()));
            }
            return pids;
        }

        /** The distribution's H2 jar, whose shell reads and fills the database while the server is stopped. */
        private String h2Jar;

        private String sql(String sql) throws Exception {
            if (postgres != null) return output(List.of("psql", "-qAt", "-F", " ", "-v", "ON_ERROR_STOP=1", postgres, "-c", sql));
            if (h2Jar == null) {
                try (var jars = Files.list(dist.resolve("system"))) {
                    h2Jar = jars.map(Path::toString).filter(f -> f.matches(".*/h2-[0-9.]+\\.jar")).findFirst().orElseThrow();
                }
            }
            String java = ProcessHandle.current().info().command().orElse("java");
            return output(List.of(java, "-cp", h2Jar, "org.h2.tools.Shell", "-url", H2.withPageSize("jdbc:h2:file:" + dir.resolve("data/db/strata")), "-user", "STRATA",
                    "-password", "", "-sql", sql));
        }

        @Override
        void fillArchive(String owner, int count) throws Exception {
            String stamp = postgres != null ? "TIMESTAMPTZ '2025-12-01 00:00:00+00' + x * INTERVAL '30 seconds'"
                    : "DATEADD(SECOND, x * 30, TIMESTAMP WITH TIME ZONE '2025-12-01 00:00:00+00')";
            String from = postgres != null ? "generate_series(1, " + count + ") AS g(x)" : "(SELECT X AS x FROM SYSTEM_RANGE(1, " + count + ")) AS g";
            sql("INSERT INTO strata_mam (owner, owner_domain, with_bare, with_resource, stamp, stanza) SELECT '" + owner + "', 'localhost', 'bench' || (x % 20 + 1) || '@localhost', 'w7', "
                    + stamp + ", " + filledStanza(owner, "x") + " FROM " + from);
            if (postgres != null) sql("ANALYZE strata_mam");
        }

        @Override
        List<String[]> archiveSample(String owner, int count, int filled) throws Exception {
            long until = FILL_START + filled * 27L;
            String limit = postgres != null ? "TIMESTAMPTZ '2025-12-01 00:00:00+00' + " + (until - FILL_START) + " * INTERVAL '1 second'"
                    : "DATEADD(SECOND, " + (until - FILL_START) + ", TIMESTAMP WITH TIME ZONE '2025-12-01 00:00:00+00')";
            return rows(sql("SELECT id, with_bare FROM strata_mam WHERE owner = '" + owner + "' AND stamp < " + limit + " ORDER BY RANDOM() LIMIT " + count));
        }

        @Override
        long archivedRows() throws Exception {
            return number(sql("SELECT COUNT(*) FROM strata_mam"));
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
                    script.append(script.isEmpty() ? "" : "; ").append("user:add bench").append(i).append('@').append(domain).append(' ').append(password);
                }
                cmds.add(List.of(dir.resolve("bin/strata").toString(), "shell", script.toString()));
            }
            runAll(cmds, 2, env);
        }
    }

    /** Prosody 0.12 from the Debian package, run as user prosody (it refuses root). */
    static final class Prosody extends Target {
        Prosody(Path root, boolean archive) throws IOException {
            super("prosody", root, archive);
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
                    -- production-like: the modules of Debian's default configuration, archiving off (W7: on, in SQLite)
                    pidfile = "%1$s/prosody.pid"
                    data_path = "%1$s/data"
                    daemonize = false
                    network_backend = "epoll"
                    tcp_backlog = 1024
                    interfaces = { "127.0.0.1" }
                    c2s_ports = { %2$d }
                    c2s_direct_tls_ports = { }
                    s2s_ports = { %6$s }
                    component_ports = { }
                    http_ports = { %5$d }
                    http_interfaces = { "127.0.0.1" }
                    https_ports = { }
                    log = { warn = "%1$s/prosody.log" }
                    authentication = "internal_hashed"
                    c2s_require_encryption = false
                    allow_unencrypted_plain_auth = false
                    s2s_secure_auth = false
                    modules_enabled = {
                        "roster"; "saslauth"; "tls"; "disco"; "carbons"; "pep"; "private"; "blocklist"; "vcard4"; "vcard_legacy";
                        "version"; "uptime"; "time"; "ping"; "register"; "admin_adhoc"; "offline"; "smacks"; "csi_simple"; "websocket"; %4$s
                    }
                    %7$s
                    %3$s
                    VirtualHost "localhost"
                        ssl = { key = "%1$s/key.pem"; certificate = "%1$s/cert.pem"%8$s }
                    Component "conference.localhost" "muc"
                    """.formatted(dir, port, !archive ? "" : """
                    default_archive_policy = true
                    archive_expires_after = "never"
                    storage = { archive = "sql" }
                    sql = { driver = "SQLite3", database = "prosody.sqlite" }
                    """, (archive ? "\"mam\";" : "") + (federationCa != null ? "\"dialback\";" : ""), httpPort,
                    federationCa == null ? "" : Integer.toString(s2sPort), federationCa == null ? "modules_disabled = { \"s2s\" }" : "",
                    federationCa == null ? "" : "; cafile = \"" + federationCa + "\""));
            run(List.of("chown", "-R", "prosody:prosody", dir.toString()));
        }

        @Override
        ProcessBuilder command() {
            return new ProcessBuilder(as("prosody", List.of("prosody", "--config", config().toString())));
        }

        private Path db() {
            return dir.resolve("data/prosody.sqlite");
        }

        @Override
        void fillArchive(String owner, int count) throws Exception {
            // mod_storage_sql's row for mod_mam: the key is the archive id, "when" seconds, "with" the partner's bare JID
            String user = owner.substring(0, owner.indexOf('@'));
            sqlite("prosody", db(), series(count) + "INSERT INTO prosodyarchive (host, user, store, key, \"when\", \"with\", type, value) SELECT 'localhost', '"
                    + user + "', 'archive', 'f' || x, " + FILL_START + " + x * 30, 'bench' || (x % 20 + 1) || '@localhost', 'xml', " + filledStanza(owner, "x") + " FROM r");
        }

        @Override
        List<String[]> archiveSample(String owner, int count, int filled) throws Exception {
            long until = FILL_START + filled * 27L;
            String user = owner.substring(0, owner.indexOf('@'));
            return rows(sqlite("prosody", db(), "SELECT key, \"with\" FROM prosodyarchive WHERE user = '" + user + "' AND store = 'archive' AND key LIKE 'f%' AND \"when\" < "
                    + until + " ORDER BY random() LIMIT " + count));
        }

        @Override
        long archivedRows() throws Exception {
            return number(sqlite("prosody", db(), "SELECT COUNT(*) FROM prosodyarchive WHERE store = 'archive'"));
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

        Ejabberd(Path root, boolean archive) throws IOException {
            super("ejabberd", root, archive);
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
            // the modules of Debian's default configuration that a chat server runs, archiving off (W7: on, in SQLite), no shaper
            Files.writeString(dir.resolve("ejabberd.yml"), """
                    hosts:
                      - localhost
                    %3$s
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
                      -
                        port: %5$d
                        ip: "127.0.0.1"
                        module: ejabberd_http
                        request_handlers:
                          /xmpp-websocket: ejabberd_http_ws
                    %7$s
                    %6$s
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
                      mod_muc:
                        host: conference.localhost
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
                    %4$s
                    """.formatted(dir, port, !archive ? "" : "sql_type: sqlite\nsql_database: " + db(),
                    !archive ? "" : "  mod_mam:\n    db_type: sql\n    default: always\n    assume_mam_usage: true\n", httpPort,
                    federationCa == null ? "" : "ca_file: " + federationCa,
                    federationCa == null ? "" : "  -\n    port: " + s2sPort + "\n    ip: \"127.0.0.1\"\n    module: ejabberd_s2s_in"));
            run(List.of("chown", "-R", "ejabberd:ejabberd", dir.toString()));
            // 23.01 does not create its SQL schema itself
            if (archive) sqlite("ejabberd", db(), ".read /usr/share/ejabberd/sql/lite.sql");
        }

        @Override
        ProcessBuilder command() {
            return new ProcessBuilder(ctl("foreground"));
        }

        private Path db() {
            return dir.resolve("db/ejabberd.sqlite");
        }

        @Override
        void fillArchive(String owner, int count) throws Exception {
            // mod_mam's row: the timestamp in microseconds is the archive id
            String user = owner.substring(0, owner.indexOf('@'));
            sqlite("ejabberd", db(), series(count) + "INSERT INTO archive (username, timestamp, peer, bare_peer, xml, txt, kind, nick) SELECT '" + user + "', ("
                    + FILL_START + " + x * 30) * 1000000, 'bench' || (x % 20 + 1) || '@localhost/w7', 'bench' || (x % 20 + 1) || '@localhost', "
                    + filledStanza(owner, "x") + ", 'message number ' || x || ' of a long year of conversations', 'chat', '' FROM r");
        }

        @Override
        List<String[]> archiveSample(String owner, int count, int filled) throws Exception {
            long until = FILL_START + filled * 27L;
            String user = owner.substring(0, owner.indexOf('@'));
            return rows(sqlite("ejabberd", db(), "SELECT timestamp, bare_peer FROM archive WHERE username = '" + user + "' AND timestamp < "
                    + until * 1_000_000 + " ORDER BY random() LIMIT " + count));
        }

        @Override
        long archivedRows() throws Exception {
            return number(sqlite("ejabberd", db(), "SELECT COUNT(*) FROM archive"));
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
