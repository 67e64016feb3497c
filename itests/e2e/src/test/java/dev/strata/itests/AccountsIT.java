package dev.strata.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import dev.strata.itests.StrataServer.Result;

/** Accounts in the embedded H2 database: strata register, user:* commands, admin password login over SSH. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AccountsIT {
    private static final String ADMIN_PASSWORD = "Adm1n-correct-horse";
    private Path home;
    private StrataServer server;

    @BeforeAll
    void registerThenStart() throws Exception {
        home = StrataServer.freshHome("accounts-it");
        Result created = register("admin", "localhost", ADMIN_PASSWORD);
        assertThat(created.exit()).as("%s", created).isZero();
        assertThat(created.out()).contains("Account admin@localhost created");
        Result again = register("admin", "localhost", "other");
        assertThat(again.exit()).isEqualTo(1);
        assertThat(again.err()).contains("The account admin@localhost exists already");
        Result bad = register("bad user", "localhost", "x");
        assertThat(bad.exit()).isEqualTo(1);
        assertThat(bad.err()).contains("Not a valid account name");
        server = StrataServer.start(home, home.resolve("data"), Map.of("STRATA_ADMIN_JID", "admin@localhost"));
    }

    private Result register(String user, String domain, String password) {
        return StrataServer.run(List.of(home.resolve("bin/strata").toString(), "register", user, domain, password),
                Map.of("STRATA_DATA_PATH", home.resolve("data").toString()), Duration.ofSeconds(60));
    }

    @AfterAll
    void stop() throws Exception {
        if (server != null) server.close();
    }

    /** While the server runs, register asks it through the console (the database is the server's). */
    @Test
    void registerAsksTheRunningServer() {
        Result r = server.strata(Map.of(), "register", "dave", "localhost", "dave pw");
        assertThat(r.exit()).as("%s", r).isZero();
        assertThat(r.out()).contains("Account dave@localhost created");
        Result again = server.strata(Map.of(), "register", "dave", "localhost", "other");
        assertThat(again.exit()).as("%s", again).isNotZero();
        assertThat(server.ssh("user:list localhost").out().lines().toList()).contains("dave@localhost");
    }

    @Test
    void userCommandsManageAccounts() {
        assertThat(server.ssh("user:list").out()).contains("admin@localhost");
        Result add = server.ssh("user:add bob@localhost Bob-pw-1");
        assertThat(add.exit()).as("%s", add).isZero();
        assertThat(add.out()).contains("Account bob@localhost created");
        assertThat(server.ssh("user:add carol Carol-pw-1").out()).contains("Account carol@localhost created");
        assertThat(server.ssh("user:list localhost").out().lines().toList()).contains("admin@localhost", "bob@localhost", "carol@localhost");
        assertThat(server.ssh("user:passwd bob@localhost Bob-pw-2").out()).contains("Password of bob@localhost changed");

        Result dup = server.ssh("user:add bob@localhost x");
        assertThat(dup.exit()).isEqualTo(1);
        assertThat(dup.err().strip()).isEqualTo("Error: The account bob@localhost exists already");
        assertThat(server.ssh("user:add eve@example.com x").err()).contains("This server does not host example.com");
        assertThat(server.ssh("user:passwd nobody@localhost x").err()).contains("There is no account nobody@localhost");
        assertThat(server.ssh("user:add bad\\ name@localhost x").exit()).isEqualTo(1);

        assertThat(server.ssh("user:delete carol@localhost").out()).contains("Account carol@localhost deleted");
        assertThat(server.ssh("user:delete carol@localhost").err()).contains("There is no account carol@localhost");
        assertThat(server.ssh("user:list").out()).doesNotContain("carol");
    }

    private Result passwordLogin(String user, String password) throws IOException {
        Path askpass = server.data.resolve("askpass-" + Math.abs(password.hashCode()) + ".sh");
        Files.writeString(askpass, "#!/bin/sh\necho '" + password + "'\n");
        askpass.toFile().setExecutable(true);
        List<String> cmd = new ArrayList<>(List.of("ssh", "-p", Integer.toString(server.sshPort), "-o", "PubkeyAuthentication=no",
                "-o", "PreferredAuthentications=password", "-o", "NumberOfPasswordPrompts=1", "-o", "StrictHostKeyChecking=no",
                "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", user + "@127.0.0.1", "module:list"));
        return StrataServer.run(cmd, Map.of("SSH_ASKPASS", askpass.toString(), "SSH_ASKPASS_REQUIRE", "force", "DISPLAY", ":0"),
                Duration.ofSeconds(60));
    }

    @Test
    void administratorsLogInWithTheirXmppPassword() throws IOException {
        Result ok = passwordLogin("admin", ADMIN_PASSWORD);
        assertThat(ok.exit()).as("%s", ok).isZero();
        assertThat(ok.out()).contains("ssh-console");
        assertThat(passwordLogin("admin@localhost", ADMIN_PASSWORD).exit()).isZero();

        assertThat(passwordLogin("admin", "wrong password").exit()).isEqualTo(255);
        assertThat(server.ssh("user:add frank@localhost Frank-pw-1").exit()).isZero();
        assertThat(passwordLogin("frank", "Frank-pw-1").exit()).as("not an admin").isEqualTo(255);
        assertThat(passwordLogin("nobody", "x").exit()).isEqualTo(255);
        assertThat(server.log()).contains("SSH console: admin@localhost logged in with a password", "password login refused for frank@localhost");
    }

    @Test
    void noPasswordIsWrittenAnywhere() throws IOException {
        String secret = "Unmistakable-Secret-42";
        assertThat(server.ssh("user:add grace@localhost " + secret).exit()).isZero();
        assertThat(server.ssh("user:passwd grace@localhost " + secret + "-2").exit()).isZero();
        List<Path> files;
        try (Stream<Path> s = Stream.concat(Files.walk(server.home.resolve("logs")), Files.walk(server.data))) {
            files = s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().startsWith("askpass")).toList();
        }
        assertThat(files).anyMatch(p -> p.toString().endsWith(".mv.db")).anyMatch(p -> p.toString().endsWith("strata.log"));
        for (Path f : files) {
            assertThat(new String(Files.readAllBytes(f), java.nio.charset.StandardCharsets.ISO_8859_1)).as("%s", f).doesNotContain(secret)
                    .doesNotContain(ADMIN_PASSWORD);
        }
    }
}
