package dev.strata.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

import org.igniterealtime.smack.inttest.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * On demand, not in the build: SINT's multi-user chat tests against Debian's Prosody 0.12 with its
 * {@code muc} component, or ejabberd 23.01 with {@code mod_muc}, the same way {@link ConformanceIT} runs them against Strata (accounts by
 * in-band registration, STARTTLS required, its certificate pinned), so the README can say which of
 * them Prosody fails. Needs root and the {@code prosody} or {@code ejabberd} package:
 * {@code ./mvnw -pl itests/conformance verify -Dit.test=PeersIT -Dsint.peers=prosody} (or {@code ejabberd});
 * the report goes to {@code target/peers-NAME.md}. One server per run (SINT's connection settings are global).
 */
class PeersIT {
    static final String MUC_TESTS = "MultiUserChatIntegrationTest,MultiUserChatOccupantIntegrationTest,MultiUserChatRolesAffiliationsPrivilegesIntegrationTest,"
            + "MultiUserChatEntityIntegrationTest,MultiUserChatLowLevelIntegrationTest,ParticipantStatusIntegrationTest,UserStatusIntegrationTest";
    /** {@code -Dsint.peers.tests=pubsub}: SINT's publish-subscribe, PEP, OX and OMEMO tests instead of the MUC ones. */
    static final String PUBSUB_TESTS = "PubSubIntegrationTest,GeolocationIntegrationTest,MoodIntegrationTest,UserTuneIntegrationTest,"
            + "OXInstantMessagingIntegrationTest,OXSecretKeyBackupIntegrationTest,MessageEncryptionIntegrationTest,ReadOnlyDeviceIntegrationTest,"
            + "SessionRenegotiationIntegrationTest,OmemoMamDecryptionTest";

    @Test
    @EnabledIfSystemProperty(named = "sint.peers", matches = ".*prosody.*")
    void prosodyRunsTheMucTests() throws Exception {
        Path dir = Files.createTempDirectory("sint-prosody");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        run(List.of("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=DNS:localhost,DNS:conference.localhost,DNS:pubsub.localhost", "-keyout", dir.resolve("key.pem").toString(), "-out", dir.resolve("cert.pem").toString()));
        Files.createDirectories(dir.resolve("data"));
        Path config = dir.resolve("prosody.cfg.lua");
        Files.writeString(config, """
                pidfile = "%1$s/prosody.pid"
                data_path = "%1$s/data"
                daemonize = false
                interfaces = { "127.0.0.1" }
                c2s_ports = { %2$d }
                c2s_direct_tls_ports = { }
                s2s_ports = { }
                component_ports = { }
                http_ports = { }
                https_ports = { }
                log = { warn = "%1$s/prosody.log" }
                authentication = "internal_hashed"
                c2s_require_encryption = true
                allow_registration = true
                min_seconds_between_registrations = 0
                modules_enabled = {
                    "roster"; "saslauth"; "tls"; "disco"; "carbons"; "pep"; "private"; "blocklist"; "vcard4"; "vcard_legacy";
                    "version"; "uptime"; "time"; "ping"; "register"; "admin_adhoc"; "offline"; "smacks"; "csi_simple"; "bookmarks";
                }
                modules_disabled = { "s2s" }
                VirtualHost "localhost"
                    ssl = { key = "%1$s/key.pem"; certificate = "%1$s/cert.pem" }
                Component "conference.localhost" "muc"
                    ssl = { key = "%1$s/key.pem"; certificate = "%1$s/cert.pem" }
                Component "pubsub.localhost" "pubsub"
                    ssl = { key = "%1$s/key.pem"; certificate = "%1$s/cert.pem" }
                """.formatted(dir, port));
        run(List.of("chown", "-R", "prosody:prosody", dir.toString()));
        Process prosody = new ProcessBuilder("setpriv", "--reuid=prosody", "--regid=prosody", "--init-groups", "--reset-env", "prosody", "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("stdout.log").toFile()).start();
        try {
            StrataServer.await(java.time.Duration.ofSeconds(30), "Prosody's port " + port, () -> {
                try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                    return true;
                } catch (Exception e) {
                    return false;
                }
            });
            sint("prosody", "Prosody 0.12 (Debian), muc component", port, dir.resolve("cert.pem"));
        } finally {
            prosody.destroy();
            prosody.waitFor();
        }
    }

    /** Runs SINT's MUC tests against a server on {@code port} whose certificate is {@code certFile}; the report goes to target/peers-NAME.md. */
    private static void sint(String name, String title, int port, Path certFile) throws Exception {
        if ("pubsub".equals(System.getProperty("sint.peers.tests"))) title = title.replace(", muc component", ", pubsub component and mod_pep").replace(", mod_muc", ", mod_pubsub with PEP");
        X509Certificate cert;
        try (InputStream in = Files.newInputStream(certFile)) {
            cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        Sint.connectTo(port, 0, ConformanceIT.pinned(cert)); // the peers' WebSocket kinds are not run (their HTTP setups differ)
        boolean pubsub = "pubsub".equals(System.getProperty("sint.peers.tests"));
        System.setProperty("sint.only", pubsub ? PUBSUB_TESTS : MUC_TESTS);
        if (pubsub) name = name + "-pubsub";
        Sint.Report r = Sint.run(() -> {
            try {
                return Configuration.builder().setService("localhost").setSecurityMode("required").setReplyTimeout("10000")
                        .setDefaultConnection("tcp").setDisabledConnections(String.join(",", ConformanceIT.KINDS_NOT_RUN.keySet()) + ",modular-websocket-java11,modular-websocket-okhttp");
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
        }, ConformanceIT.CLIENT_FAULTS.keySet(), new java.util.HashMap<>());
        String text = ConformanceIT.render(title + ", accounts by in-band registration", r);
        System.out.println(text);
        Files.writeString(Path.of("target/peers-" + name + ".md"), text);
        assertThat(r.count(Sint.Kind.PASSED) + r.count(Sint.Kind.FAILED)).as("tests that ran").isPositive();
    }

    private static void awaitPort(int port, String what) {
        StrataServer.await(java.time.Duration.ofSeconds(60), what + "'s port " + port, () -> {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return true;
            } catch (Exception e) {
                return false;
            }
        });
    }

    private static int freePort() throws java.io.IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void selfSigned(Path dir) throws Exception {
        run(List.of("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=DNS:localhost,DNS:conference.localhost,DNS:pubsub.localhost", "-keyout", dir.resolve("key.pem").toString(), "-out", dir.resolve("cert.pem").toString()));
    }

    @Test
    @EnabledIfSystemProperty(named = "sint.peers", matches = ".*ejabberd.*")
    void ejabberdRunsTheMucTests() throws Exception {
        Path dir = Files.createTempDirectory("sint-ejabberd");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        int port = freePort();
        selfSigned(dir);
        Files.writeString(dir.resolve("all.pem"), Files.readString(dir.resolve("cert.pem")) + Files.readString(dir.resolve("key.pem")));
        Files.createDirectories(dir.resolve("db"));
        Files.createDirectories(dir.resolve("logs"));
        Files.writeString(dir.resolve("ejabberdctl.cfg"), "ERL_OPTIONS=\"-env ERL_CRASH_DUMP_BYTES 0\"\nEJABBERD_PID_PATH=" + dir.resolve("ejabberd.pid")
                + "\nCONTRIB_MODULES_CONF_DIR=/etc/ejabberd/modules.d\n");
        Files.writeString(dir.resolve("ejabberd.yml"), """
                hosts:
                  - localhost
                loglevel: warning
                certfiles:
                  - %1$s/all.pem
                listen:
                  -
                    port: %2$d
                    ip: "127.0.0.1"
                    module: ejabberd_c2s
                    max_stanza_size: 262144
                    shaper: none
                    access: c2s
                    starttls: true
                    starttls_required: true
                auth_method: internal
                auth_password_format: scram
                registration_timeout: infinity
                access_rules:
                  local:
                    allow: all
                  c2s:
                    allow: all
                  register:
                    allow: all
                shaper_rules:
                  max_user_sessions: 100000
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
                  mod_offline: {}
                  mod_ping: {}
                  mod_privacy: {}
                  mod_private: {}
                  mod_pubsub:
                    plugins:
                      - flat
                      - pep
                  mod_register:
                    ip_access: all
                    access: register
                  mod_roster: {}
                  mod_stream_mgmt: {}
                  mod_vcard: {}
                  mod_version: {}
                """.formatted(dir, port));
        run(List.of("chown", "-R", "ejabberd:ejabberd", dir.toString()));
        String node = "sint" + ProcessHandle.current().pid() + "@localhost";
        Process ejabberd = new ProcessBuilder("setpriv", "--reuid=ejabberd", "--regid=ejabberd", "--init-groups", "--reset-env", "/usr/sbin/ejabberdctl",
                "--ctl-config", dir.resolve("ejabberdctl.cfg").toString(), "--config", dir.resolve("ejabberd.yml").toString(), "--spool", dir.resolve("db").toString(),
                "--logs", dir.resolve("logs").toString(), "--node", node, "foreground")
                .redirectErrorStream(true).redirectOutput(dir.resolve("stdout.log").toFile()).start();
        try {
            awaitPort(port, "ejabberd");
            sint("ejabberd", "ejabberd 23.01 (Debian), mod_muc", port, dir.resolve("cert.pem"));
        } finally {
            ejabberd.destroy();
            ejabberd.waitFor();
            new ProcessBuilder("pkill", "-f", node).start().waitFor();
        }
    }

    private static void run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as("%s: %s", command, out).isZero();
    }
}
