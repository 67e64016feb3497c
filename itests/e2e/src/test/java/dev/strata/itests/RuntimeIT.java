package dev.strata.itests;

import static dev.strata.itests.StrataServer.await;
import static dev.strata.itests.StrataServer.awaitValue;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import dev.strata.itests.StrataServer.Result;

/**
 * The distribution as an admin uses it: boot, SSH console, hot deploy through plugins/, live
 * configuration, module and feature commands, and {@code strata check}. One server for the class;
 * each test leaves plugins/ and the config tree as it found them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RuntimeIT {
    /** The deadline for hot-deploy effects; the issue asks for 2 s, measured times are printed. */
    private static final Duration DEPLOY = Duration.ofSeconds(6);
    private static final Path MOTD = Path.of(System.getProperty("strata.motd.jar", "../plugins/motd-example/target/motd-1.0.0.jar")).toAbsolutePath();
    private static final Path WORDFILTER = Path.of(System.getProperty("strata.wordfilter.jar", "../plugins/wordfilter-example/target/wordfilter-1.0.0.jar"))
            .toAbsolutePath();

    private StrataServer server;

    @BeforeAll
    void start() throws Exception {
        server = StrataServer.startFresh("runtime-it");
    }

    @AfterAll
    void stop() throws Exception {
        if (server != null) server.close();
    }

    @AfterEach
    void cleanUp() throws IOException {
        try (var s = Files.list(server.home.resolve("plugins"))) {
            for (Path p : s.toList()) Files.delete(p);
        }
        Files.deleteIfExists(server.home.resolve("config/stack/plugins/strata.motd.cfg"));
        Files.deleteIfExists(server.home.resolve("config/stack/plugins/strata.wordfilter.cfg"));
        await(DEPLOY, "plugins to be uninstalled", () -> !moduleList().contains("motd") && !moduleList().contains("broken") && !moduleList().contains("wordfilter"));
    }

    private String moduleList() {
        Result r = server.ssh("module:list");
        assertThat(r.exit()).as("module:list: %s", r).isZero();
        return r.out();
    }

    private static String row(String list, String module) {
        return list.lines().filter(l -> l.matches("\\S+\\s+" + Pattern.quote(module) + "\\s.*")).findFirst().orElse("");
    }

    private Path deployMotd(String fileName) throws IOException {
        return deploy(MOTD, fileName);
    }

    /** Drops {@code jar} into plugins/ as {@code fileName} at once (copied aside, then moved in). */
    private Path deploy(Path jar, String fileName) throws IOException {
        Path tmp = server.home.resolve(fileName + ".part");
        Files.copy(jar, tmp, StandardCopyOption.REPLACE_EXISTING);
        return Files.move(tmp, server.home.resolve("plugins").resolve(fileName), StandardCopyOption.ATOMIC_MOVE);
    }

    @Test
    void bootsWithEveryBundleActiveAndLogsTheBootTime() throws IOException {
        Matcher m = Pattern.compile("Strata started in ([0-9.]+) s: (\\d+) bundles active(.*)").matcher(server.log());
        assertThat(m.find()).as("boot line in strata.log").isTrue();
        assertThat(m.group(3)).as("bundles not active").isEmpty();
        System.out.printf("[figure] boot to all %s bundles ACTIVE: %s s%n", m.group(2), m.group(1));
        // the README's count is this one, not a number typed once and left behind
        assertThat(Files.readString(StrataServer.REPOSITORY.resolve("README.md"))).as("README's bundle count").contains("all " + m.group(2) + " bundles started");

        Result all = server.ssh("module:list all");
        assertThat(all.exit()).isZero();
        List<String> rows = all.out().lines().skip(1).filter(l -> !l.startsWith(" ")).toList();
        assertThat(rows).hasSizeGreaterThan(25).allSatisfy(l -> assertThat(l).containsAnyOf(" ACTIVE ", " FRAGMENT ", " ON-DEMAND "));
        // the servlet whiteboard's Jetty waits above the active start level until a servlet appears
        assertThat(all.out()).containsPattern("org\\.apache\\.felix\\.http\\.jetty12\\s.*ON-DEMAND");
        assertThat(all.out()).contains("org.apache.felix.scr", "org.apache.felix.configadmin", "org.apache.felix.fileinstall",
                "org.apache.felix.eventadmin", "org.apache.felix.gogo.runtime", "org.apache.sshd.osgi", "ch.qos.logback.classic");

        String modules = moduleList();
        assertThat(modules.lines().findFirst().orElseThrow()).contains("MODULE", "VERSION", "STATE", "LAYER");
        for (String m2 : List.of("api", "config", "modules", "ssh-console")) assertThat(row(modules, m2)).contains("ACTIVE");
        assertThat(row(modules, "ssh-console")).contains("07-interfaces");
    }

    @Test
    void logsInWithEd25519EcdsaAndRsaKeysAndRefusesOthers() throws IOException {
        Path authorized = server.data.resolve("ssh/authorized_keys");
        for (String type : List.of("ed25519", "ecdsa", "rsa")) {
            Path k = server.data.resolve("key_" + type);
            Files.deleteIfExists(k);
            Files.deleteIfExists(Path.of(k + ".pub"));
            assertThat(StrataServer.run(List.of("ssh-keygen", "-q", "-t", type, "-N", "", "-f", k.toString()), Map.of(), Duration.ofSeconds(60)).exit()).isZero();
            Result refused = server.ssh(k, "module:list");
            assertThat(refused.exit()).as("%s key before it is authorized", type).isEqualTo(255);
            Files.writeString(authorized, Files.readString(Path.of(k + ".pub")), java.nio.file.StandardOpenOption.APPEND);
            Result ok = server.ssh(k, "module:list");
            assertThat(ok.exit()).as("%s key: %s", type, ok).isZero();
            assertThat(ok.out()).contains("ssh-console");
        }
    }

    @Test
    void refusesPasswordLogins() {
        List<String> cmd = new java.util.ArrayList<>(server.sshCommand(server.key, "module:list"));
        cmd.addAll(1, List.of("-o", "PubkeyAuthentication=no", "-o", "PreferredAuthentications=password,keyboard-interactive"));
        Result r = StrataServer.run(cmd, Map.of(), Duration.ofSeconds(60));
        assertThat(r.exit()).isEqualTo(255);
        assertThat(r.err()).contains("Permission denied");
    }

    /**
     * The second example plugin changes stanzas: dropped in, it masks the configured words in what
     * users send; its words change live with its configuration file; deleted, messages pass as sent.
     * Nobody is disconnected on the way.
     */
    @Test
    void theWordFilterPluginChangesMessagesLive() throws Exception {
        for (String u : List.of("wf-alice", "wf-bob")) assertThat(server.ssh("user:add " + u + "@localhost " + u + "-Pw-1").exit()).isZero();
        Path config = server.home.resolve("config/stack/plugins/strata.wordfilter.cfg");
        Files.createDirectories(config.getParent());
        Files.writeString(config, "words = darn, heck\n");
        try (StreamManagementIT.Raw alice = StreamManagementIT.Raw.bound(server, "wf-alice", "desk");
             StreamManagementIT.Raw bob = StreamManagementIT.Raw.bound(server, "wf-bob", "phone")) {
            bob.send("<presence/>");
            deploy(WORDFILTER, "wordfilter.jar");
            awaitValue(DEPLOY, "wordfilter ACTIVE", this::moduleList, l -> row(l, "wordfilter").contains("ACTIVE"));
            // its configuration reaches it moments after it starts
            await(DEPLOY, "the words masked", () -> said(alice, bob, "m" + System.nanoTime(), "Darn it, what the heck").equals("**** it, what the ****"));
            Files.writeString(config, "words = it\nmask = #\n");
            await(DEPLOY, "the new words applied", () -> said(alice, bob, "m" + System.nanoTime(), "Darn it").equals("Darn ##"));
            Files.delete(server.home.resolve("plugins/wordfilter.jar"));
            await(DEPLOY, "wordfilter uninstalled", () -> !moduleList().contains("wordfilter"));
            assertThat(said(alice, bob, "m3", "Darn it, what the heck")).isEqualTo("Darn it, what the heck");
        }
    }

    /** Alice sends {@code text} to Bob; the body Bob got. */
    private static String said(StreamManagementIT.Raw alice, StreamManagementIT.Raw bob, String id, String text) {
        try {
            alice.send("<message to='wf-bob@localhost/phone' type='chat' id='" + id + "'><body>" + text + "</body></message>");
            String got = bob.await("message " + id, x -> x.contains("id=\"" + id + "\"") && x.substring(x.indexOf("id=\"" + id + "\"")).contains("</message>"));
            String m = got.substring(got.indexOf("id=\"" + id + "\""));
            return m.substring(m.indexOf("<body>") + 6, m.indexOf("</body>"));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** module:load of a jar that cannot start says why and leaves nothing in plugins/. */
    @Test
    void aFailedLoadLeavesNothingBehind() throws IOException {
        Path broken = Jars.unresolvable(StrataServer.WORK.resolve("load-broken.jar"));
        Result r = server.ssh("module:load " + broken);
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("cannot start: missing package").contains("removed from plugins/ again");
        assertThat(server.home.resolve("plugins/load-broken.jar")).doesNotExist();
        await(DEPLOY, "the bundle uninstalled", () -> !moduleList().contains("org.example.broken"));
    }

    /** Two versions of one plugin dropped side by side both run: module:list and the log say so. */
    @Test
    void twoVersionsOfOnePluginAreReported() throws IOException {
        deployMotd("motd.jar");
        Jars.withManifest(MOTD, server.home.resolve("plugins/motd-new.jar"), a -> a.putValue("Bundle-Version", "1.0.1")); // written aside, moved in
        String list = awaitValue(DEPLOY, "both copies listed", this::moduleList, l -> l.contains("is in plugins/ 2 times"));
        assertThat(list).contains("org.example.strata.motd is in plugins/ 2 times (").contains("motd.jar 1.0.0").contains("motd-new.jar 1.0.1")
                .contains("delete all but one");
        await(DEPLOY, "a warning in the log", () -> server.log().contains("WARN") && server.log().contains("Plugin org.example.strata.motd is in plugins/ 2 times"));
    }

    @Test
    void hotDeploysInstallsUpdatesAndRemovesPlugins() throws IOException {
        long t0 = System.nanoTime();
        Path jar = deployMotd("motd.jar");
        String list = awaitValue(DEPLOY, "motd ACTIVE", this::moduleList, l -> row(l, "motd").contains("ACTIVE"));
        System.out.printf("[figure] plugin dropped -> ACTIVE in module:list: %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        assertThat(row(list, "motd")).contains("1.0.0", "plugins", "plugin");
        assertThat(server.ssh("motd:show").out().strip()).isEqualTo("Welcome to Strata.");

        t0 = System.nanoTime();
        Jars.withManifest(MOTD, jar, a -> a.putValue("Bundle-Version", "1.0.1"));
        awaitValue(DEPLOY, "motd updated to 1.0.1", this::moduleList, l -> row(l, "motd").contains("1.0.1") && row(l, "motd").contains("ACTIVE"));
        System.out.printf("[figure] plugin replaced -> new version ACTIVE: %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        assertThat(moduleList().lines().filter(l -> l.contains(" motd ")).count()).as("updated in place, not installed twice").isEqualTo(1);

        t0 = System.nanoTime();
        Files.delete(jar);
        awaitValue(DEPLOY, "motd gone", this::moduleList, l -> !l.contains("motd"));
        System.out.printf("[figure] plugin deleted -> gone from module:list: %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        assertThat(server.ssh("motd:show").exit()).isNotZero();
    }

    @Test
    void brokenPluginsAreReportedOnceAndTheServerKeepsRunning() throws IOException {
        Jars.unresolvable(server.home.resolve("plugins/broken.jar"));
        Jars.notABundle(server.home.resolve("plugins/notabundle.jar"));
        String list = awaitValue(DEPLOY, "both failures listed", this::moduleList,
                l -> row(l, "org.example.broken").contains("FAILED") && row(l, "notabundle.jar").contains("FAILED"));
        assertThat(list).contains("org.example.broken: missing package (&(osgi.wiring.package=com.nonexistent.api)")
                .contains("notabundle.jar: not an OSGi bundle (no Bundle-SymbolicName in its manifest)");
        await(DEPLOY, "the log lines", () -> server.log().contains("broken.jar") && server.log().contains("notabundle.jar is not an OSGi bundle"));
        // let later poll cycles pass (a plugin deployed after them becomes ACTIVE) before counting reports
        deployMotd("motd.jar");
        awaitValue(DEPLOY, "motd ACTIVE", this::moduleList, l -> row(l, "motd").contains("ACTIVE"));
        assertThat(count(server.log(), "cannot start: missing package (&(osgi.wiring.package=com.nonexistent.api)")).isEqualTo(1);
        assertThat(count(server.log(), "notabundle.jar is not an OSGi bundle")).isEqualTo(1);
        assertThat(server.isAlive()).isTrue();
        assertThat(row(moduleList(), "ssh-console")).contains("ACTIVE");
    }

    private static long count(String text, String needle) {
        return text.lines().filter(l -> l.contains(needle)).count();
    }

    @Test
    void aConfigFileChangeReachesTheComponentThroughModified() throws IOException {
        deployMotd("motd.jar");
        awaitValue(DEPLOY, "motd ACTIVE", this::moduleList, l -> row(l, "motd").contains("ACTIVE"));
        Path cfg = server.home.resolve("config/stack/plugins/strata.motd.cfg");
        Files.createDirectories(cfg.getParent());
        Files.writeString(cfg, "# written by the test\nmessage = Hello from the file\n");
        awaitValue(DEPLOY, "the new message", () -> server.ssh("motd:show").out().strip(), "Hello from the file"::equals);

        Result set = server.ssh("config:set strata.motd message Set_from_the_console");
        assertThat(set.exit()).as("%s", set).isZero();
        assertThat(set.out()).contains("config/stack/plugins/strata.motd.cfg");
        assertThat(Files.readString(cfg)).contains("# written by the test", "message = Set_from_the_console");
        awaitValue(DEPLOY, "the console's message", () -> server.ssh("motd:show").out().strip(), "Set_from_the_console"::equals);

        Result ssh = server.ssh("config:set strata.console.ssh idle.timeout 1234");
        assertThat(ssh.exit()).as("%s", ssh).isZero();
        await(DEPLOY, "SshConsole @Modified", () -> server.log().contains("SSH console settings changed: idle timeout 1234 s"));
        assertThat(server.ssh("config:get strata.console.ssh idle.timeout").out()).contains("idle.timeout = 1234", "environments/development.cfg");

        Result bad = server.ssh("config:set strata.console.ssh idle.timeout soon");
        assertThat(bad.exit()).isEqualTo(1);
        assertThat(bad.err().strip()).isEqualTo("Error: strata.console.ssh idle.timeout: expected an integer, got 'soon'");
        Result unknown = server.ssh("config:set strata.console.ssh nosuch 1");
        assertThat(unknown.err()).contains("unknown key");
    }

    @Test
    void anInvalidEditIsRefusedAndTheComponentKeepsItsConfiguration() throws IOException {
        Path cfg = server.home.resolve("config/stack/07-interfaces/strata.console.ssh.cfg");
        String original = Files.readString(cfg);
        try {
            Files.writeString(cfg, original + "idle.timeout = -5\n");
            await(DEPLOY, "the refusal in the log", () -> server.log().contains("idle.timeout: -5 is below the minimum 10; keeping the previous configuration"));
            assertThat(server.ssh("module:list").exit()).isZero();
        } finally {
            Files.writeString(cfg, original);
        }
    }

    @Test
    void moduleCommandsLoadUnloadAndReload() throws IOException {
        Result load = server.ssh("module:load " + MOTD);
        assertThat(load.exit()).as("%s", load).isZero();
        assertThat(load.out()).contains("motd 1.0.0 ACTIVE");
        assertThat(Files.exists(server.home.resolve("plugins").resolve(MOTD.getFileName()))).isTrue();

        assertThat(server.ssh("module:unload motd").out()).contains("motd 1.0.0 STOPPED");
        assertThat(row(moduleList(), "motd")).contains("STOPPED");
        assertThat(server.ssh("motd:show").exit()).isNotZero();
        assertThat(server.ssh("module:load motd").out()).contains("ACTIVE");
        assertThat(server.ssh("module:reload motd").out()).contains("motd 1.0.0 ACTIVE");
        assertThat(server.ssh("motd:show").out()).contains("Welcome");

        Result unknown = server.ssh("module:unload nosuch");
        assertThat(unknown.exit()).isEqualTo(1);
        assertThat(unknown.err().lines().toList()).containsExactly("Error: Unknown module: nosuch (module:list shows the installed ones)");
        Result console = server.ssh("module:unload ssh-console");
        assertThat(console.exit()).isEqualTo(1);
        assertThat(console.err()).contains("runs this console");
        Result missing = server.ssh("module:load /nonexistent/x.jar");
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err()).contains("No such file: /nonexistent/x.jar");
        Result notFound = server.ssh("nosuch:command");
        assertThat(notFound.exit()).isEqualTo(1);
        assertThat(notFound.err()).contains("Command not found: nosuch:command");
    }

    /** The console guides: help by scope, usage for a wrong call, a clear that works, a refusal before dropping every client. */
    @Test
    void theConsoleGuides() throws Exception {
        Result help = server.ssh("help");
        assertThat(help.exit()).as("%s", help).isZero();
        List<String> lines = help.out().lines().filter(l -> l.startsWith("  ")).toList();
        assertThat(lines).as("Strata's commands, one line each").anyMatch(l -> l.strip().startsWith("module:load") && l.contains("Start a module"))
                .anyMatch(l -> l.strip().startsWith("user:add") && l.contains("Create an account"))
                .noneMatch(l -> l.strip().startsWith("felix:") || l.strip().startsWith("gogo:") || l.strip().startsWith("scr:"));
        assertThat(help.out()).contains("'help all'");
        Result all = server.ssh("help all");
        assertThat(all.out()).contains("felix:lb");
        assertThat(all.out().indexOf("module:list")).as("Strata's scopes first").isLessThan(all.out().indexOf("felix:lb"));
        assertThat(server.ssh("help user:add").out()).contains("usage: user:add <user: alice@domain, or alice for the default domain> <password>");

        Result noArgument = server.ssh("module:load");
        assertThat(noArgument.exit()).isEqualTo(1);
        assertThat(noArgument.err()).contains("module:load needs arguments")
                .contains("usage: module:load <module name, jar path or mvn: coordinates>").doesNotContain("Cannot coerce");
        Result wrong = server.ssh("user:delete");
        assertThat(wrong.exit()).isEqualTo(1);
        assertThat(wrong.err()).contains("usage: user:delete <user>");

        // a setting that follows the environment is not quietly turned into a literal
        Path tlsListener = server.home.resolve("config/stack/01-transport/strata.listener~c2s-tls.cfg");
        String before = Files.readString(tlsListener);
        Result placeholder = server.ssh("config:set strata.listener~c2s-tls port 5299");
        assertThat(placeholder.exit()).isEqualTo(1);
        assertThat(placeholder.err()).contains("follows ${env:STRATA_C2S_TLS_PORT:-5223}").contains("set STRATA_C2S_TLS_PORT");
        assertThat(Files.readString(tlsListener)).isEqualTo(before);

        // config:get PID shows what the files set and, marked, the component's defaults for the rest
        String mam = server.ssh("config:get strata.xep0313").out();
        assertThat(mam).contains("strata.xep0313 default.policy = roster    (config/stack/06-storage/strata.xep0313.cfg:")
                .contains("strata.xep0313 max.page.size = 250    (default)");

        Result clear = server.ssh("clear");
        assertThat(clear.exit()).as("%s", clear).isZero();

        // log:tail -f follows the log until the admin leaves
        Process tail = new ProcessBuilder(server.sshCommand(server.key, "log:tail -f 1")).redirectErrorStream(true).start();
        try {
            StringBuffer followed = new StringBuffer();
            Thread reader = Thread.ofVirtual().start(() -> {
                try (var in = tail.getInputStream()) {
                    byte[] buf = new byte[4096];
                    for (int n; (n = in.read(buf)) > 0; ) followed.append(new String(buf, 0, n, java.nio.charset.StandardCharsets.UTF_8));
                } catch (IOException e) {
                    // closed
                }
            });
            await(DEPLOY, "log:tail -f started", () -> !followed.isEmpty());
            assertThat(server.ssh("user:add tail-follow@localhost tail-follow-Pw-1").exit()).isZero();
            await(DEPLOY, "the new log line followed", () -> followed.toString().contains("Account tail-follow@localhost created"));
            assertThat(tail.isAlive()).as("still following").isTrue();
            tail.destroy();
            reader.join(5000);
        } finally {
            tail.destroyForcibly();
        }

        assertThat(server.ssh("user:add console-guide@localhost console-guide-Pw-1").exit()).isZero();
        try (StreamManagementIT.Raw client = StreamManagementIT.Raw.bound(server, "console-guide", "desk")) {
            Result refused = server.ssh("module:unload stream-c2s");
            assertThat(refused.exit()).isEqualTo(1);
            assertThat(refused.err()).containsPattern("drops every client \\([1-9]\\d* sessions? now\\)").contains("module:unload --force stream-c2s");
            assertThat(row(moduleList(), "stream-c2s")).contains("ACTIVE");
            client.send("<iq type='get' id='still'><ping xmlns='urn:xmpp:ping'/></iq>");
            assertThat(client.await("the session is still there", x -> x.contains("id=\"still\""))).contains("type=\"result\"");
        }
    }

    @Test
    void loadsAPluginFromMavenCoordinates() throws IOException {
        Result r = server.ssh("module:load mvn:org.nowhere/none/1.0");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("is not in the local Maven repository");
    }

    @Test
    void featuresAndLogTail() {
        Result features = server.ssh("feature:list");
        assertThat(features.exit()).isZero();
        assertThat(features.out()).containsPattern("core\\s+installed\\s+6");
        Result uninstallCore = server.ssh("feature:uninstall core");
        assertThat(uninstallCore.exit()).isEqualTo(1);
        assertThat(server.ssh("feature:install nosuch").err()).contains("Unknown feature: nosuch");

        Result tail = server.ssh("log:tail 3");
        assertThat(tail.exit()).isZero();
        assertThat(tail.out().lines().count()).isEqualTo(3);
    }

    @Test
    void theLocalOperatorShellWorksWithoutAnyKeySetUp() {
        Result status = server.strata(Map.of(), "status");
        assertThat(status.exit()).isZero();
        assertThat(status.out()).contains("running");
        Result shell = server.strata(Map.of(), "shell", "module:list");
        assertThat(shell.exit()).as("%s", shell).isZero();
        assertThat(shell.out()).contains("ssh-console");
    }

    @Test
    void anInteractiveSessionHasAPromptAndRunsCommands() {
        List<String> cmd = new java.util.ArrayList<>(server.sshCommand(server.key, null));
        cmd.add(1, "-tt");
        Result r = StrataServer.run(cmd, Map.of(), Duration.ofSeconds(60), "module:list\nconfig:get strata environment\nexit\n");
        assertThat(r.out()).contains("strata> ", "ssh-console", "strata environment = development");
    }

    /**
     * A configuration no installed module declares (a plugin's, before the plugin): one rule for strata check and
     * the server. Both warn with the same words and keep it; the plugin, once loaded, runs on it.
     */
    @Test
    void aConfigurationForAPluginNotYetLoadedIsAWarningInCheckAndServer() throws Exception {
        Path cfg = server.home.resolve("config/stack/plugins/strata.motd.cfg");
        Files.createDirectories(cfg.getParent());
        Files.writeString(cfg, "message = Waiting for its plugin\n");
        Path jar = server.home.resolve("plugins/motd.jar");
        try {
            String warning = "config/stack/plugins/strata.motd.cfg:1: [strata.motd] no installed module declares the configuration 'strata.motd': "
                    + "kept, and applied when a module that declares it is loaded";
            Result check = server.strata(Map.of(), "check");
            assertThat(check.exit()).as("%s", check).isZero();
            assertThat(check.out()).contains("WARN " + warning, "OK:");
            await(DEPLOY, "the server's warning", () -> server.log().contains("WARN  dev.strata.config.internal.ConfigManager config: " + warning));
            assertThat(server.log()).doesNotContain("ERROR dev.strata.config.internal.ConfigManager config: " + warning);
            assertThat(server.ssh("config:get strata.motd").out().strip()).isEqualTo(
                    "strata.motd message = Waiting for its plugin    (config/stack/plugins/strata.motd.cfg:1)  kept: no installed module declares strata.motd");

            Files.copy(MOTD, jar);
            awaitValue(DEPLOY, "the plugin on the waiting configuration", () -> server.ssh("motd:show").out().strip(), "Waiting for its plugin"::equals);
        } finally {
            Files.deleteIfExists(jar);
            Files.deleteIfExists(cfg);
        }
    }

    /** Tab completes what each argument names, asked of the running server: a module, a PID, then its key. */
    @Test
    void tabCompletesModulesPidsAndKeys() {
        List<String> cmd = new java.util.ArrayList<>(server.sshCommand(server.key, null));
        cmd.add(1, "-tt");
        Result r = StrataServer.run(cmd, Map.of(), Duration.ofSeconds(60),
                "module:reload xep-0199-pi\t\nconfig:get strata.console.s\tidle.t\t\nfeature:list\nexit\n");
        assertThat(r.out()).contains("xep-0199-ping 0.1.0", "strata.console.ssh idle.timeout = ");
        assertThat(server.log()).contains("Console command by admin: module:reload (1 argument)");
    }

    @Test
    void checkValidatesTheConfigTree() throws IOException {
        Result ok = server.strata(Map.of(), "check");
        assertThat(ok.exit()).as("%s", ok).isZero();
        assertThat(ok.out()).contains("OK:");

        Path copy = server.data.resolve("bad-config");
        StrataServer.deleteTree(copy);
        StrataServer.copyTreePlain(server.home.resolve("config"), copy);
        Path ssh = copy.resolve("stack/07-interfaces/strata.console.ssh.cfg");
        Files.writeString(ssh, Files.readString(ssh) + "prot = 22\n");
        Files.writeString(copy.resolve("policies/security.cfg"), "[strata.console.ssh]\nmax.auth.attempts = many\n", java.nio.file.StandardOpenOption.APPEND);
        Result bad = server.strata(Map.of("STRATA_CONFIG_PATH", copy.toString()), "check");
        assertThat(bad.exit()).as("%s", bad).isEqualTo(1);
        assertThat(bad.out()).contains("bad-config/stack/07-interfaces/strata.console.ssh.cfg:4: [strata.console.ssh] prot: unknown key")
                .contains("[strata.console.ssh] max.auth.attempts: expected an integer, got 'many'")
                .contains("2 problem(s)");
    }

    /**
     * What strata check refuses the running server refuses too, with the same words: an address
     * that is not this machine's, a malformed domain or admin JID, a TLS version that does not
     * exist, a port beyond 65535. The server keeps its previous configuration of each and logs why.
     */
    @Test
    void checkAndTheServerRefuseTheSameSettings() throws Exception {
        Path dev = server.home.resolve("config/environments/development.cfg");
        Path listener = server.home.resolve("config/stack/01-transport/strata.listener~c2s.cfg");
        String devBefore = Files.readString(dev), listenerBefore = Files.readString(listener);
        try {
            Files.writeString(dev, devBefore + "\n[strata]\ndomains = bad domain\nadmins = example.org\n"
                    + "[strata.tls]\nprotocols = TLSv1.3, TLSv1.9\n[strata.console.ssh]\nbind = 192.0.2.1\n");
            Files.writeString(listener, listenerBefore.replaceFirst("(?m)^port = .*$", "port = 99999"));
            Result check = server.strata(Map.of(), "check");
            assertThat(check.exit()).as("%s", check).isEqualTo(1);
            List<String> problems = check.out().lines().filter(l -> l.startsWith("ERROR ")).map(l -> l.substring(6)).toList();
            assertThat(String.join("\n", problems)).contains("[strata] domains: 'bad domain' is not a valid domain",
                    "[strata] admins: 'example.org' is not the bare JID of an account", "[strata.tls] protocols: 'TLSv1.9' is not one of: TLSv1.3, TLSv1.2",
                    "[strata.console.ssh] bind: 192.0.2.1 is not an address of this machine", "[strata.listener~c2s] port: 99999 is above the maximum 65535");
            assertThat(problems).hasSize(5);
            for (String p : problems) {
                StrataServer.await(Duration.ofSeconds(20), "the server to refuse " + p, () -> server.log().contains("config: " + p + "; keeping the previous configuration"));
            }
            // config:get tells what the files say, that it was refused and why, and what runs instead
            // (strata.cfg's own [strata] keys override the environment's; every layer is still checked)
            assertThat(server.ssh("config:get strata domains").out().strip()).startsWith("strata domains = localhost    (config/strata.cfg:3)  REJECTED (config/environments/development.cfg:")
                    .contains("): 'bad domain' is not a valid domain").endsWith("; in effect: localhost (the previous configuration)");
            String port = server.ssh("config:get strata.listener~c2s").out();
            assertThat(port).contains("strata.listener~c2s port = 99999", "REJECTED: 99999 is above the maximum 65535; in effect: " + server.c2sPort + " (the previous configuration)")
                    .contains("strata.listener~c2s kind = c2s", "not applied: strata.listener~c2s has a rejected setting; in effect: c2s (the previous configuration)");
        } finally {
            Files.writeString(dev, devBefore);
            Files.writeString(listener, listenerBefore);
        }
        assertThat(server.strata(Map.of(), "check").exit()).isZero();
    }
}
