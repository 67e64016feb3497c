package dev.strata.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.muc.MultiUserChat;
import org.jivesoftware.smackx.muc.MultiUserChatManager;
import org.junit.jupiter.api.Test;
import org.jxmpp.jid.impl.JidCreate;
import org.jxmpp.jid.parts.Resourcepart;

import dev.strata.bench.Loopback;

/**
 * A real gateway as an external component (XEP-0114): Debian's biboumi (XMPP to IRC) connects to
 * Strata's component port as irc.localhost, and a Smack user talks in an IRC channel of Debian's
 * ngircd (on 127.0.0.1:6667, the plain port biboumi falls back to after 6697 and 6670) with an IRC
 * client speaking the protocol by hand: the channel is a room at
 * {@code #test%127.0.0.1@irc.localhost}, messages go both ways.
 */
class BiboumiIT {
    private static final String SECRET = "biboumi-component-secret-2026";
    private static final Path BIBOUMI = Path.of("/usr/bin/biboumi"), NGIRCD = Path.of("/usr/sbin/ngircd");

    /** An IRC client by hand: lines in, lines out, PINGs answered. */
    private static final class Irc implements AutoCloseable {
        final Socket socket;
        final BufferedReader in;
        final OutputStream out;

        Irc(int port) throws IOException {
            socket = new Socket(InetAddress.getLoopbackAddress(), port);
            socket.setSoTimeout(30_000);
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            out = socket.getOutputStream();
        }

        void send(String line) throws IOException {
            out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        }

        /** Reads lines until one contains {@code marker}; returns it. */
        String until(String marker) throws IOException {
            while (true) {
                String line = in.readLine();
                if (line == null) throw new IOException("the IRC server closed the connection before '" + marker + "'");
                if (line.startsWith("PING ")) send("PONG " + line.substring(5));
                if (line.contains(marker)) return line;
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    @Test
    void aSmackUserTalksInAnIrcChannelThroughBiboumi() throws Exception {
        assertThat(BIBOUMI).as("biboumi is installed (apt-get install biboumi; .ci/run does)").isExecutable();
        assertThat(NGIRCD).as("ngircd is installed (apt-get install ngircd; .ci/run does)").isExecutable();
        assertThat(Loopback.listening(6667)).as("127.0.0.1:6667 is free for the test's IRC server").isFalse();
        Path dir = StrataServer.WORK.resolve("biboumi");
        StrataServer.deleteTree(dir);
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        Files.writeString(dir.resolve("ngircd.conf"), """
                [Global]
                Name = irc.strata.test
                Info = Strata test IRC server
                Listen = 127.0.0.1
                Ports = 6667
                PidFile = %1$s/ngircd.pid
                MotdPhrase = "a test server"
                [Limits]
                MaxConnectionsIP = 0
                [Options]
                DNS = no
                Ident = no
                PAM = no
                """.formatted(dir));
        Files.writeString(dir.resolve("biboumi.cfg"), """
                hostname=irc.localhost
                password=%2$s
                xmpp_server_ip=127.0.0.1
                port=%%d
                admin=admin@localhost
                identd_port=0
                db_name=%1$s/biboumi.sqlite
                policy_directory=%1$s
                log_level=0
                """.formatted(dir, SECRET));
        Path home = StrataServer.freshHome("biboumi-it", "alice");
        Files.writeString(home.resolve("config/stack/02-stream/strata.xep0114.cfg"), "components = irc.localhost=" + SECRET + "\n");
        Process ircd = new ProcessBuilder(NGIRCD.toString(), "-n", "-f", dir.resolve("ngircd.conf").toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("ngircd.out").toFile()).start();
        Process biboumi = null;
        try (StrataServer s = StrataServer.start(home, home.resolve("data"), Map.of())) {
            StrataServer.await(Duration.ofSeconds(20), "ngircd on 6667 (" + dir.resolve("ngircd.out") + ")", () -> Loopback.listening(6667));
            Path cfg = dir.resolve("biboumi.cfg");
            Files.writeString(cfg, Files.readString(cfg).replace("%d", Integer.toString(s.componentPort)));
            biboumi = new ProcessBuilder(BIBOUMI.toString(), cfg.toString()).redirectErrorStream(true).redirectOutput(dir.resolve("biboumi.out").toFile()).start();
            StrataServer.awaitValue(Duration.ofSeconds(30), "biboumi connected as a component", s::log, l -> l.contains("Component irc.localhost connected"));

            try (Irc bob = new Irc(6667)) {
                bob.send("NICK bob");
                bob.send("USER bob 0 * :Bob on IRC");
                bob.until(" 001 bob ");
                bob.send("JOIN #test");
                bob.until(" 366 bob #test ");

                XMPPTCPConnection alice = Clients.smack(s, "alice", "alice-Pw-1", "laptop");
                alice.setReplyTimeout(30_000); // biboumi connects to the IRC server before it answers the join
                try {
                    MultiUserChat room = MultiUserChatManager.getInstanceFor(alice).getMultiUserChat(JidCreate.entityBareFrom("#test%127.0.0.1@irc.localhost"));
                    room.join(room.getEnterConfigurationBuilder(Resourcepart.from("alice")).requestNoHistory().build());
                    assertThat(bob.until("JOIN")).as("alice joined the channel through biboumi").contains("alice");

                    room.sendMessage("hello IRC, from XMPP");
                    assertThat(bob.until("PRIVMSG #test")).startsWith(":alice!").endsWith(":hello IRC, from XMPP");

                    bob.send("PRIVMSG #test :hello XMPP, from IRC");
                    Message m;
                    do {
                        m = room.nextMessage(30_000);
                    } while (m != null && !"hello XMPP, from IRC".equals(m.getBody()));
                    assertThat(m).as("bob's IRC message reached alice").isNotNull();
                    assertThat(m.getFrom().toString()).isEqualTo("#test%127.0.0.1@irc.localhost/bob");
                    assertThat(s.ssh("component:list").out()).contains("irc.localhost connected from");
                } finally {
                    alice.disconnect();
                }
                // RFC 6121 §4.6.3: her directed presence to the room ends with her session; biboumi leaves the channel for her
                String gone;
                do {
                    gone = bob.until(":alice!");
                } while (!gone.contains(" PART ") && !gone.contains(" QUIT "));
                assertThat(gone).containsAnyOf(" PART #test", " QUIT ");
            }
        } finally {
            for (Process p : new Process[] {biboumi, ircd}) {
                if (p == null) continue;
                p.destroy();
                if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly();
            }
        }
    }
}
