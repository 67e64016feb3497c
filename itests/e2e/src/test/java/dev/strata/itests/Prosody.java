package dev.strata.itests;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.strata.bench.Loopback;

/**
 * Debian's Prosody (0.12) for federation tests: its own configuration, data and certificates in a
 * folder under /tmp (Prosody runs as its user, {@code prosody}, which cannot read the build tree),
 * listening on 127.0.0.1 on the ports given, and resolving names through the test's DNS server: it
 * runs in a mount namespace of its own where {@code /etc/resolv.conf} names that server (Prosody
 * asks port 53 of the servers in that file, and nothing else).
 */
final class Prosody implements AutoCloseable {
    static final Path BINARY = Path.of("/usr/bin/prosody");
    final Path dir;
    final int c2sPort, s2sPort;
    private final Process process;

    /** One virtual host: its domain and whether its certificate comes from the test authority (else self-signed). */
    record Host(String domain, boolean trusted) {
    }

    private Prosody(Path dir, int c2sPort, int s2sPort, Process process) {
        this.dir = dir;
        this.c2sPort = c2sPort;
        this.s2sPort = s2sPort;
        this.process = process;
    }

    static Prosody start(TestPki pki, String nameServer, int c2sPort, int s2sPort, List<Host> hosts, List<String[]> users) throws Exception {
        if (!Files.isExecutable(BINARY)) throw new IllegalStateException(BINARY + " is missing: apt-get install prosody (.ci/run does)");
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "strata-prosody-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path certs = Files.createDirectories(dir.resolve("certs"));
        Files.copy(pki.caFile(), dir.resolve("ca.pem"));
        StringBuilder vhosts = new StringBuilder();
        for (Host h : hosts) {
            if (h.trusted()) pki.issue(h.domain(), certs);
            else pki.selfSigned(h.domain(), certs);
            vhosts.append("VirtualHost \"").append(h.domain()).append("\"\n    ssl = { certificate = \"").append(certs.resolve(h.domain() + ".crt"))
                    .append("\"; key = \"").append(certs.resolve(h.domain() + ".key")).append("\"; cafile = \"").append(dir.resolve("ca.pem")).append("\" }\n");
        }
        Path data = Files.createDirectories(dir.resolve("data"));
        Files.writeString(dir.resolve("prosody.cfg.lua"), """
                pidfile = "%1$s/prosody.pid"
                data_path = "%2$s"
                log = { { levels = { min = "debug" }, to = "file", filename = "%1$s/prosody.log" } }
                interfaces = { "127.0.0.1" }
                c2s_ports = { %3$d }
                s2s_ports = { %4$d }
                c2s_direct_tls_ports = { }
                s2s_direct_tls_ports = { }
                http_ports = { }
                https_ports = { }
                use_ipv6 = false
                modules_enabled = { "roster"; "saslauth"; "tls"; "dialback"; "disco"; "ping"; "version" }
                authentication = "internal_plain"
                storage = "internal"
                allow_registration = false
                c2s_require_encryption = true
                s2s_require_encryption = true
                s2s_secure_auth = false
                ssl = { cafile = "%1$s/ca.pem" }
                %5$s
                """.formatted(dir, data, c2sPort, s2sPort, vhosts));
        Files.writeString(dir.resolve("resolv.conf"), "nameserver " + nameServer + "\n");
        StrataServer.run(List.of("chown", "-R", "prosody:prosody", dir.toString()), java.util.Map.of(), Duration.ofSeconds(10));
        for (String[] u : users) {
            var r = StrataServer.run(List.of("runuser", "-u", "prosody", "--", "prosodyctl", "--config", dir.resolve("prosody.cfg.lua").toString(),
                    "register", u[0], u[1], u[2]), java.util.Map.of(), Duration.ofSeconds(30));
            if (r.exit() != 0) throw new IllegalStateException("prosodyctl register " + u[0] + "@" + u[1] + ": " + r.out() + r.err());
        }
        List<String> cmd = new ArrayList<>(List.of("unshare", "--mount", "--propagation", "private", "sh", "-c",
                "mount --bind " + dir.resolve("resolv.conf") + " /etc/resolv.conf && exec runuser -u prosody -- prosody --config "
                        + dir.resolve("prosody.cfg.lua") + " -F"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("prosody.out").toFile()).start();
        Prosody prosody = new Prosody(dir, c2sPort, s2sPort, p);
        StrataServer.await(Duration.ofSeconds(20), "Prosody listening on " + c2sPort + " and " + s2sPort + " (" + dir + "/prosody.out, prosody.log)", () -> {
            if (!p.isAlive()) throw new IllegalStateException("Prosody ended: " + prosody.output());
            return Loopback.listening(c2sPort) && Loopback.listening(s2sPort);
        });
        return prosody;
    }

    String output() {
        try {
            return Files.readString(dir.resolve("prosody.out"));
        } catch (IOException e) {
            return e.toString();
        }
    }

    String log() throws IOException {
        Path log = dir.resolve("prosody.log");
        return Files.exists(log) ? Files.readString(log) : "";
    }

    @Override
    public void close() throws Exception {
        List<ProcessHandle> all = new ArrayList<>(process.descendants().toList());
        all.add(process.toHandle());
        for (ProcessHandle h : all) h.destroy();
        for (ProcessHandle h : all) h.onExit().get(10, TimeUnit.SECONDS);
        // the log stays for a failed run, copied next to the other test servers' logs
        Path keep = StrataServer.WORK.resolve("prosody-logs");
        Files.createDirectories(keep);
        for (String f : List.of("prosody.log", "prosody.out", "prosody.cfg.lua")) {
            if (Files.exists(dir.resolve(f))) Files.copy(dir.resolve(f), keep.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        StrataServer.run(List.of("rm", "-rf", dir.toString()), java.util.Map.of(), Duration.ofSeconds(10));
    }
}
