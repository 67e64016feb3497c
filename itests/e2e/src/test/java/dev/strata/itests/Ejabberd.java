package dev.strata.itests;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Debian's ejabberd (23.01) as a federation peer, on an Erlang node of its own: its hosts with their
 * certificates ({@code certfiles}, picked by name), the test authority as {@code ca_file}, s2s with
 * STARTTLS required, SASL EXTERNAL and dialback ({@code mod_s2s_dialback}).
 */
final class Ejabberd extends FederationPeer {
    static final Path BINARY = Path.of("/usr/sbin/ejabberdctl");
    private final String node = "strata" + ProcessHandle.current().pid() + "@localhost";

    private Ejabberd(TestPki pki, String nameServer, int c2sPort, int s2sPort) throws IOException {
        super("ejabberd", "ejabberd", pki, nameServer, c2sPort, s2sPort);
    }

    static Ejabberd start(TestPki pki, String nameServer, int c2sPort, int s2sPort, List<Host> hosts, List<String[]> users) throws Exception {
        if (!Files.isExecutable(BINARY)) throw new IllegalStateException(BINARY + " is missing: apt-get install ejabberd (.ci/run does)");
        Ejabberd e = new Ejabberd(pki, nameServer, c2sPort, s2sPort);
        Path certs = Files.createDirectories(e.dir.resolve("certs"));
        StringBuilder names = new StringBuilder(), files = new StringBuilder();
        for (Host h : hosts) {
            if (h.trusted()) pki.issue(h.domain(), certs);
            else pki.selfSigned(h.domain(), certs);
            Path pem = certs.resolve(h.domain() + ".pem");
            Files.writeString(pem, Files.readString(certs.resolve(h.domain() + ".crt")) + Files.readString(certs.resolve(h.domain() + ".rsa.key")));
            names.append("  - ").append(h.domain()).append('\n');
            files.append("  - ").append(pem).append('\n');
        }
        Files.createDirectories(e.dir.resolve("db"));
        Files.createDirectories(e.dir.resolve("logs"));
        Files.writeString(e.dir.resolve("ejabberdctl.cfg"), "ERL_OPTIONS=\"-env ERL_CRASH_DUMP_BYTES 0\"\nEJABBERD_PID_PATH=" + e.dir.resolve("ejabberd.pid")
                + "\nCONTRIB_MODULES_CONF_DIR=/etc/ejabberd/modules.d\n");
        Files.writeString(e.dir.resolve("ejabberd.yml"), """
                hosts:
                %1$s
                loglevel: info
                certfiles:
                %2$s
                ca_file: %3$s/ca.pem
                s2s_use_starttls: required
                outgoing_s2s_families:
                  - ipv4
                listen:
                  -
                    port: %4$d
                    ip: "127.0.0.1"
                    module: ejabberd_c2s
                    starttls_required: true
                  -
                    port: %5$d
                    ip: "127.0.0.1"
                    module: ejabberd_s2s_in
                auth_method: internal
                acl:
                  loopback:
                    ip:
                      - 127.0.0.0/8
                access_rules:
                  local:
                    allow: all
                  c2s:
                    allow: all
                  s2s:
                    allow: all
                modules:
                  mod_disco: {}
                  mod_ping: {}
                  mod_roster: {}
                  mod_s2s_dialback: {}
                  mod_version:
                    show_os: false
                """.formatted(names, files, e.dir, c2sPort, s2sPort));
        e.launch(e.ctl("foreground"), Duration.ofSeconds(60));
        for (String[] u : users) e.runAs(e.ctl("register", u[0], u[1], u[2]));
        return e;
    }

    private List<String> ctl(String... args) {
        List<String> c = new ArrayList<>(List.of(BINARY.toString(), "--ctl-config", dir.resolve("ejabberdctl.cfg").toString(), "--config",
                dir.resolve("ejabberd.yml").toString(), "--spool", dir.resolve("db").toString(), "--logs", dir.resolve("logs").toString(), "--node", node));
        c.addAll(List.of(args));
        return c;
    }

    @Override
    boolean ready() {
        // the ports open before the hosts' modules are all started; ejabberdctl status says when it is
        try {
            return runAs(ctl("status")).contains("is started");
        } catch (IllegalStateException notYet) {
            return false;
        }
    }

    @Override
    String log() {
        return read("logs/ejabberd.log");
    }

    @Override
    List<Path> keep() {
        return List.of(dir.resolve("logs/ejabberd.log"), dir.resolve("logs/error.log"), dir.resolve("ejabberd.out"), dir.resolve("ejabberd.yml"));
    }
}
