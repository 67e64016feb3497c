package dev.strata.itests;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jivesoftware.smack.chat2.ChatManager;
import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.MessageBuilder;
import org.jivesoftware.smack.packet.StanzaError;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.disco.ServiceDiscoveryManager;
import org.junit.jupiter.api.Test;
import org.jxmpp.jid.impl.JidCreate;

/**
 * XEP-0114 external components on the assembled runtime: slixmpp's ComponentXMPP, with its
 * defaults, connects to the component port as echo.localhost and answers a Smack user's messages;
 * the domain is in the server's disco#items; a wrong secret, an unknown domain and a second
 * connection for a connected domain get their stream errors; once the component has left, a
 * message to it is answered with service-unavailable.
 */
class ComponentIT {
    private static final String SECRET = "c0mponent-s3cret-for-tests";

    @Test
    void slixmppsComponentEchoesASmackUsersMessages() throws Exception {
        Path home = StrataServer.freshHome("component-it", "alice");
        Files.writeString(home.resolve("config/stack/02-stream/strata.xep0114.cfg"), "components = echo.localhost=" + SECRET + "\n");
        try (StrataServer s = StrataServer.start(home, home.resolve("data"), Map.of())) {
            CompletableFuture<StrataServer.Result> echo = CompletableFuture.supplyAsync(() -> StrataServer.run(List.of("/usr/bin/python3",
                    Path.of("src/test/python/slix_component.py").toAbsolutePath().toString(), Integer.toString(s.componentPort), "echo.localhost", SECRET),
                    Map.of(), Duration.ofSeconds(90)));
            StrataServer.awaitValue(Duration.ofSeconds(20), "the component connected", s::log, l -> l.contains("Component echo.localhost connected"));

            XMPPTCPConnection alice = Clients.smack(s, "alice", "alice-Pw-1", "phone");
            assertThat(ServiceDiscoveryManager.getInstanceFor(alice).discoverItems(JidCreate.from("localhost")).getItems())
                    .anyMatch(i -> i.getEntityID().toString().equals("echo.localhost"));
            CompletableFuture<Message> answer = new CompletableFuture<>();
            // Smack's ChatManager takes only messages from full JIDs; the bot answers from the bare JID it was sent to
            alice.addAsyncStanzaListener(st -> answer.complete((Message) st),
                    st -> st instanceof Message m && m.getBody() != null && m.getFrom() != null && m.getFrom().toString().equals("bot@echo.localhost"));
            ChatManager.getInstanceFor(alice).chatWith(JidCreate.entityBareFrom("bot@echo.localhost")).send("hello component");
            Message echoed;
            try {
                echoed = answer.get(20, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                alice.disconnect();
                throw new AssertionError("no echo; the component: " + echo.get(60, TimeUnit.SECONDS), e);
            }
            assertThat(echoed.getBody()).isEqualTo("echo: hello component");
            assertThat(s.ssh("component:list").out()).containsPattern("echo\\.localhost connected from /127\\.0\\.0\\.1:\\d+ since \\S+, [1-9]\\d* stanzas in, [1-9]\\d* out");

            assertThat(raw(s, "echo.localhost", "a guess")).as("a wrong secret").contains("<not-authorized");
            assertThat(raw(s, "nobody.localhost", SECRET)).as("an unknown domain").contains("<host-unknown");
            assertThat(raw(s, "echo.localhost", SECRET)).as("a second connection for echo.localhost").contains("<conflict");

            ChatManager.getInstanceFor(alice).chatWith(JidCreate.entityBareFrom("bot@echo.localhost")).send("bye");
            StrataServer.Result r = echo.get(60, TimeUnit.SECONDS);
            assertThat(r.out()).as("%s", r).contains("CONNECTED", "GOT hello component from alice@localhost to bot@echo.localhost", "DONE");
            StrataServer.awaitValue(Duration.ofSeconds(20), "the component gone", s::log, l -> l.contains("Component echo.localhost disconnected"));
            assertThat(s.ssh("component:list").out()).contains("echo.localhost not connected");

            CompletableFuture<Message> bounce = new CompletableFuture<>();
            alice.addAsyncStanzaListener(st -> bounce.complete((Message) st),
                    st -> st instanceof Message m && m.getType() == Message.Type.error && "echo.localhost".equals(m.getFrom().getDomain().toString()));
            alice.sendStanza(MessageBuilder.buildMessage().to(JidCreate.from("bot@echo.localhost")).ofType(Message.Type.chat).setBody("anyone?").build());
            assertThat(bounce.get(20, TimeUnit.SECONDS).getError().getCondition()).isEqualTo(StanzaError.Condition.service_unavailable);
            alice.disconnect();
        }
    }

    /** A component stream by hand: header, handshake; what the server answered, up to the end of its stream. */
    private static String raw(StrataServer s, String domain, String secret) throws Exception {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), s.componentPort)) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='" + domain + "'>")
                    .getBytes(UTF_8));
            InputStream in = socket.getInputStream();
            StringBuilder got = new StringBuilder();
            byte[] buf = new byte[4096];
            Matcher id = Pattern.compile("<stream:stream [^>]*id='([^']+)'").matcher("");
            while (!id.reset(got).find() && !got.toString().contains("</stream:stream>")) {
                int n = in.read(buf);
                if (n < 0) return got.toString();
                got.append(new String(buf, 0, n, UTF_8));
            }
            if (got.toString().contains("</stream:stream>")) return got.toString();
            String digest = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest((id.group(1) + secret).getBytes(UTF_8)));
            socket.getOutputStream().write(("<handshake>" + digest + "</handshake>").getBytes(UTF_8));
            while (!got.toString().contains("</stream:stream>")) {
                int n = in.read(buf);
                if (n < 0) break;
                got.append(new String(buf, 0, n, UTF_8));
            }
            return got.toString();
        }
    }
}
