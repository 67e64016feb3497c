package dev.strata.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.strata.bench.Loopback;

import org.jivesoftware.smack.XMPPException;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.bytestreams.BytestreamSession;
import org.jivesoftware.smackx.bytestreams.socks5.Socks5BytestreamManager;
import org.jivesoftware.smackx.bytestreams.socks5.Socks5Proxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.jxmpp.jid.impl.JidCreate;

/**
 * XEP-0065 and XEP-0215 on the assembled runtime, with real clients and a real TURN server:
 * slixmpp (which uses proxies only) sends a file to Smack through proxy.localhost and Smack (its
 * own local proxy switched off, so the server's is the one streamhost) sends one back; a transfer
 * goes on, whole, while the proxy module is reloaded; a slixmpp client gets TURN credentials from
 * the server and allocates a relay with them on coturn (started here on loopback), which refuses
 * the same username with an altered password.
 */
class FileTransferAndCallsIT {
    private static final String TURN_SECRET = "turn-s3cret-for-tests";
    /** 256 KiB/s each way: a 1 MiB transfer takes about four seconds, time to reload the module meanwhile. */
    private static final int RATE = 256 * 1024;
    private static StrataServer server;
    private static Process coturn;
    private static int turnPort;

    @BeforeAll
    static void start() throws Exception {
        turnPort = Loopback.freePort();
        Path work = Files.createDirectories(Path.of("target/it-work/coturn").toAbsolutePath());
        coturn = new ProcessBuilder("turnserver", "-n", "--listening-ip=127.0.0.1", "--listening-port=" + turnPort, "--relay-ip=127.0.0.1",
                "--min-port=21000", "--max-port=21999", "--use-auth-secret", "--static-auth-secret=" + TURN_SECRET, "--realm=localhost", "--no-tls",
                "--no-dtls", "--no-cli", "--log-file=stdout", "--simple-log", "--pidfile=" + work.resolve("turnserver.pid"),
                "--userdb=" + work.resolve("turndb.sqlite")).redirectErrorStream(true).redirectOutput(work.resolve("turnserver.log").toFile()).start();

        Path home = StrataServer.freshHome("file-transfer-it", "alice", "bob", "carol");
        Files.writeString(home.resolve("config/stack/05-services/strata.xep0065.cfg"),
                Files.readString(home.resolve("config/stack/05-services/strata.xep0065.cfg")) + "max.bytes.per.second = " + RATE + "\n");
        Files.writeString(home.resolve("config/stack/04-protocol/strata.xep0215.cfg"), "services = stun:127.0.0.1:" + turnPort + ", turn:127.0.0.1:"
                + turnPort + "?transport=udp\nsecret = " + TURN_SECRET + "\ncredentials.ttl = 600\n");
        server = StrataServer.start(home, home.resolve("data"), Map.of());
        // the clients' own proxy would be offered first and taken on loopback; the server's is what is tested
        Socks5Proxy.setLocalSocks5ProxyEnabled(false);
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) server.close();
        if (coturn != null) {
            coturn.destroy();
            coturn.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static List<String> slix(String script, String user, String... args) {
        List<String> command = new java.util.ArrayList<>(List.of("/usr/bin/python3", Path.of("src/test/python/" + script).toAbsolutePath().toString(),
                Integer.toString(server.c2sPort), "-Pw-1", user, "nobody"));
        command.addAll(List.of(args));
        return command;
    }

    /** Reads everything each bytestream to {@code c} carries; each transfer's size and SHA-256 (or failure) in turn. */
    private static BlockingQueue<String> receiver(XMPPTCPConnection c) {
        BlockingQueue<String> got = new LinkedBlockingQueue<>();
        Socks5BytestreamManager.getBytestreamManager(c).addIncomingBytestreamListener(request -> {
            try {
                BytestreamSession session = request.accept();
                try (InputStream in = session.getInputStream()) {
                    byte[] all = in.readAllBytes();
                    got.add(all.length + " " + sha256(all));
                }
            } catch (Exception e) {
                got.add("FAILED " + e);
            }
        });
        return got;
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    /** The same bytes slix_s5b.py sends. */
    private static byte[] file(int size) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) b[i] = (byte) (i * 7 + i / 251);
        return b;
    }

    private static BytestreamSession establish(XMPPTCPConnection from, String to) throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            try {
                return Socks5BytestreamManager.getBytestreamManager(from).establishSession(JidCreate.fullFrom(to));
            } catch (XMPPException.XMPPErrorException e) {
                // the target's resource is not there yet (service-unavailable): its script is still logging in
                if (System.nanoTime() > until) throw e;
                Thread.sleep(200);
            }
        }
    }

    @Test
    void slixmppAndSmackSendFilesToEachOtherThroughTheProxy() throws Exception {
        XMPPTCPConnection bob = Clients.smack(server, "bob", "bob-Pw-1", "smack");
        try {
            BlockingQueue<String> got = receiver(bob);
            StrataServer.Result sent = StrataServer.run(slix("slix_s5b.py", "alice", "send", "bob@localhost/smack", "300000"), Map.of(), Duration.ofSeconds(60));
            assertThat(sent.out()).as("%s", sent).contains("PROXIES proxy.localhost localhost " + server.proxyPort, "DONE");
            Matcher m = Pattern.compile("SENT (\\d+ \\w+)").matcher(sent.out());
            assertThat(m.find()).as("%s", sent).isTrue();
            assertThat(got.poll(30, TimeUnit.SECONDS)).as("what Smack received is what slixmpp sent").isEqualTo(m.group(1));
            StrataServer.awaitValue(Duration.ofSeconds(10), "the proxy's log of the transfer", server::log,
                    l -> l.contains("from alice@localhost/slix to bob@localhost/smack ended: 300000 bytes relayed"));

            CompletableFuture<StrataServer.Result> receiver = CompletableFuture.supplyAsync(
                    () -> StrataServer.run(slix("slix_s5b.py", "alice", "receive"), Map.of(), Duration.ofSeconds(90)));
            byte[] file = file(200_000);
            BytestreamSession session = establish(bob, "alice@localhost/slix");
            try (OutputStream out = session.getOutputStream()) {
                out.write(file);
            }
            StrataServer.Result r = receiver.get(60, TimeUnit.SECONDS);
            assertThat(r.out()).as("%s", r).contains("READY", "GOT 200000 " + sha256(file), "DONE");
        } finally {
            bob.disconnect();
        }
    }

    @Test
    void aTransferGoesOnWholeWhileTheProxyModuleReloads() throws Exception {
        XMPPTCPConnection carol = Clients.smack(server, "carol", "carol-Pw-1", "laptop");
        XMPPTCPConnection bob = Clients.smack(server, "bob", "bob-Pw-1", "phone");
        try {
            BlockingQueue<String> got = receiver(carol);
            byte[] file = file(1 << 20);
            BytestreamSession session = establish(bob, "carol@localhost/laptop");
            long start = System.nanoTime();
            CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> {
                try (OutputStream out = session.getOutputStream()) {
                    out.write(file);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            Thread.sleep(1000); // a quarter of the way, at the proxy's rate
            assertThat(got).as("still transferring when the module reloads").isEmpty();
            StrataServer.Result reload = server.ssh("module:reload xep-0065-proxy");
            assertThat(reload.exit()).as("%s", reload).isZero();
            writing.get(30, TimeUnit.SECONDS);
            assertThat(got.poll(30, TimeUnit.SECONDS)).isEqualTo((1 << 20) + " " + sha256(file));
            // 1 MiB at 256 KiB/s, less the 64 KiB burst and what the kernel's buffers held when bob closed (256 KiB SO_RCVBUF, doubled by Linux)
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).as("the rate bound held").isGreaterThan(1500);

            // and the reloaded proxy serves the next one
            byte[] small = file(10_000);
            try (OutputStream out = establish(bob, "carol@localhost/laptop").getOutputStream()) {
                out.write(small);
            }
            assertThat(got.poll(30, TimeUnit.SECONDS)).isEqualTo("10000 " + sha256(small));
        } finally {
            bob.disconnect();
            carol.disconnect();
        }
    }

    @Test
    void turnCredentialsFromTheServerAllocateARelayOnCoturn() {
        StrataServer.Result r = StrataServer.run(slix("slix_turn.py", "alice"), Map.of(), Duration.ofSeconds(60));
        assertThat(r.out()).as("%s", r).contains("SERVICE turn 127.0.0.1 " + turnPort + " udp ", "ALLOCATED", "REFUSED 401", "DONE")
                .doesNotContain("SERVICE stun");
        Matcher m = Pattern.compile("SERVICE turn \\S+ \\d+ udp (\\d+):alice@localhost (\\S+)").matcher(r.out());
        assertThat(m.find()).as("%s", r).isTrue();
        long expiry = Long.parseLong(m.group(1));
        assertThat(expiry - System.currentTimeMillis() / 1000).as("valid for credentials.ttl").isBetween(540L, 600L);
        assertThat(java.time.Instant.parse(m.group(2)).getEpochSecond()).isEqualTo(expiry);
    }
}
