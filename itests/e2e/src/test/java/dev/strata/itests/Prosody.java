package dev.strata.itests;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import dev.strata.bench.Loopback;

/** Debian's Prosody (0.12) as a federation peer: its virtual hosts with their certificates, s2s on the port given, dialback and SASL EXTERNAL. */
final class Prosody extends FederationPeer {
    static final Path BINARY = Path.of("/usr/bin/prosody");

    private Prosody(TestPki pki, String nameServer, int c2sPort, int s2sPort) throws IOException {
        super("prosody", "prosody", pki, nameServer, c2sPort, s2sPort);
    }

    static Prosody start(TestPki pki, String nameServer, int c2sPort, int s2sPort, List<Host> hosts, List<String[]> users) throws Exception {
        if (!Files.isExecutable(BINARY)) throw new IllegalStateException(BINARY + " is missing: apt-get install prosody (.ci/run does)");
        Prosody p = new Prosody(pki, nameServer, c2sPort, s2sPort);
        Path certs = Files.createDirectories(p.dir.resolve("certs"));
        StringBuilder vhosts = new StringBuilder();
        for (Host h : hosts) {
            if (h.trusted()) pki.issue(h.domain(), certs);
            else pki.selfSigned(h.domain(), certs);
            vhosts.append("VirtualHost \"").append(h.domain()).append("\"\n    ssl = { certificate = \"").append(certs.resolve(h.domain() + ".crt"))
                    .append("\"; key = \"").append(certs.resolve(h.domain() + ".key")).append("\"; cafile = \"").append(p.dir.resolve("ca.pem")).append("\" }\n");
        }
        Path data = Files.createDirectories(p.dir.resolve("data"));
        Files.writeString(p.config(), """
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
                modules_enabled = { "roster"; "saslauth"; "tls"; "dialback"; "s2s_bidi"; "disco"; "ping"; "version" }
                authentication = "internal_plain"
                storage = "internal"
                allow_registration = false
                c2s_require_encryption = true
                s2s_require_encryption = true
                s2s_secure_auth = false
                ssl = { cafile = "%1$s/ca.pem" }
                %5$s
                """.formatted(p.dir, data, c2sPort, s2sPort, vhosts));
        p.owned();
        for (String[] u : users) p.runAs(List.of("prosodyctl", "--config", p.config().toString(), "register", u[0], u[1], u[2]));
        p.launch(List.of("prosody", "--config", p.config().toString(), "-F"), Duration.ofSeconds(20));
        return p;
    }

    private Path config() {
        return dir.resolve("prosody.cfg.lua");
    }

    @Override
    boolean ready() {
        return Loopback.listening(c2sPort) && Loopback.listening(s2sPort);
    }

    @Override
    String log() {
        return read("prosody.log");
    }

    @Override
    List<Path> keep() {
        return List.of(dir.resolve("prosody.log"), dir.resolve("prosody.out"), config());
    }
}
