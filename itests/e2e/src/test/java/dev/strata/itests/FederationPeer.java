package dev.strata.itests;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Another XMPP server from Debian's packages for federation tests: its configuration, data and
 * certificates in a folder under /tmp (it runs as its own user, which cannot read the build tree),
 * listening on 127.0.0.1 on the ports given, and resolving names through the test's DNS server: it
 * runs in a mount namespace of its own whose {@code /etc/resolv.conf} names that server (Prosody
 * and Erlang's resolver ask port 53 of the servers in that file, and nothing else).
 */
abstract class FederationPeer implements AutoCloseable {
    /** One virtual host: its domain and whether its certificate comes from the test authority (else self-signed). */
    record Host(String domain, boolean trusted) {
    }

    final String name, user;
    final Path dir;
    final int c2sPort, s2sPort;
    private Process process;

    FederationPeer(String name, String user, TestPki pki, String nameServer, int c2sPort, int s2sPort) throws IOException {
        this.name = name;
        this.user = user;
        this.c2sPort = c2sPort;
        this.s2sPort = s2sPort;
        this.dir = Files.createTempDirectory(Path.of("/tmp"), "strata-" + name + "-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.copy(pki.caFile(), dir.resolve("ca.pem"));
        Files.writeString(dir.resolve("resolv.conf"), "nameserver " + nameServer + "\n");
    }

    /** {@code command} as the server's user, in a mount namespace where /etc/resolv.conf is the test's. */
    final void launch(List<String> command, Duration timeout) throws IOException {
        owned();
        List<String> cmd = new ArrayList<>(List.of("unshare", "--mount", "--propagation", "private", "sh", "-c",
                "mount --bind " + dir.resolve("resolv.conf") + " /etc/resolv.conf && exec \"$@\"", "sh"));
        cmd.addAll(asUser());
        cmd.addAll(command);
        process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve(name + ".out").toFile()).start();
        StrataServer.await(timeout, name + " ready on " + c2sPort + " and " + s2sPort + " (" + dir + ")", () -> {
            if (!process.isAlive()) throw new IllegalStateException(name + " ended: " + read(name + ".out"));
            return ready();
        });
    }

    /** The folder belongs to the server's user. */
    final void owned() {
        StrataServer.run(List.of("chown", "-R", user + ":" + user, dir.toString()), Map.of(), Duration.ofSeconds(10));
    }

    /** Runs {@code command} as the server's user; fails unless it exits 0. */
    final String runAs(List<String> command) {
        List<String> cmd = new ArrayList<>(asUser());
        cmd.addAll(command);
        var r = StrataServer.run(cmd, Map.of(), Duration.ofSeconds(60));
        if (r.exit() != 0) throw new IllegalStateException(String.join(" ", command) + ": exit " + r.exit() + " " + r.out() + r.err());
        return r.out();
    }

    /** The prefix that runs a command as the server's user, with that user's environment (its HOME: Erlang's cookie lives there). */
    private List<String> asUser() {
        return List.of("setpriv", "--reuid=" + user, "--regid=" + user, "--init-groups", "--reset-env");
    }

    abstract boolean ready();

    abstract String log() throws IOException;

    final String read(String file) {
        try {
            Path p = dir.resolve(file);
            return Files.exists(p) ? Files.readString(p) : "";
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** What to keep of a run beside the other test servers' logs. */
    abstract List<Path> keep();

    /** Stops the server (its process tree), keeps its logs and removes its folder. */
    @Override
    public void close() throws Exception {
        if (process != null) {
            List<ProcessHandle> all = new ArrayList<>(process.descendants().toList());
            all.add(process.toHandle());
            for (ProcessHandle h : all) h.destroy();
            for (ProcessHandle h : all) {
                try {
                    h.onExit().get(10, TimeUnit.SECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    h.destroyForcibly();
                }
            }
        }
        Path keep = Files.createDirectories(StrataServer.WORK.resolve(name + "-logs"));
        for (Path f : keep()) if (Files.isRegularFile(f)) Files.copy(f, keep.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
        StrataServer.run(List.of("rm", "-rf", dir.toString()), Map.of(), Duration.ofSeconds(10));
    }
}
