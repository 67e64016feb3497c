package dev.strata.itests;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's dnsmasq on a loopback address, answering for the test's domains only ({@code .test},
 * nothing forwarded): SRV records, host addresses, and NXDOMAIN for anything else. Its queries are
 * logged to {@code dnsmasq.log} in its folder.
 */
final class Dnsmasq implements AutoCloseable {
    static final Path BINARY = Path.of("/usr/sbin/dnsmasq");
    private final Process process;
    final String address;
    final int port;
    final Path log;

    private Dnsmasq(Process process, String address, int port, Path log) {
        this.process = process;
        this.address = address;
        this.port = port;
        this.log = log;
    }

    /** Records: "srv:_xmpp-server._tcp.a.test,target,port,priority,weight", "srv:_xmpp-server._tcp.b.test" (no target: "."), "host:name,address". */
    static Dnsmasq start(Path dir, String address, int port, List<String> records) throws IOException, InterruptedException {
        if (!Files.isExecutable(BINARY)) throw new IllegalStateException(BINARY + " is missing: apt-get install dnsmasq-base (.ci/run does)");
        Files.createDirectories(dir);
        Path log = dir.resolve("dnsmasq.log");
        List<String> cmd = new ArrayList<>(List.of(BINARY.toString(), "--keep-in-foreground", "--no-resolv", "--no-hosts", "--no-poll", "--bind-interfaces",
                "--listen-address=" + address, "--except-interface=nonexistent", "--port=" + port, "--pid-file=", "--user=root", "--local=/test/",
                "--log-queries", "--log-facility=" + log, "--cache-size=0"));
        for (String r : records) {
            if (r.startsWith("srv:")) cmd.add("--srv-host=" + r.substring(4));
            else if (r.startsWith("host:")) cmd.add("--host-record=" + r.substring(5));
            else throw new IllegalArgumentException(r);
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("dnsmasq.out").toFile()).start();
        Dnsmasq d = new Dnsmasq(p, address, port, log);
        StrataServer.await(Duration.ofSeconds(10), "dnsmasq answering on " + address + ":" + port + " (" + dir.resolve("dnsmasq.out") + ")", d::answers);
        return d;
    }

    /** Whether a query for the SOA of test. gets any answer. */
    private boolean answers() {
        if (!process.isAlive()) throw new IllegalStateException("dnsmasq ended: exit " + process.exitValue());
        try (DatagramSocket s = new DatagramSocket()) {
            s.setSoTimeout(300);
            byte[] q = {0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 4, 't', 'e', 's', 't', 0, 0, 6, 0, 1};
            s.send(new DatagramPacket(q, q.length, new InetSocketAddress(InetAddress.getByName(address), port)));
            byte[] buf = new byte[512];
            s.receive(new DatagramPacket(buf, buf.length));
            return buf[0] == 0x12 && buf[1] == 0x34;
        } catch (IOException e) {
            return false;
        }
    }

    String queries() throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly();
    }
}
