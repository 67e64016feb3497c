package dev.strata.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.disco.ServiceDiscoveryManager;
import org.jivesoftware.smackx.mam.MamManager;
import org.jivesoftware.smackx.muc.MultiUserChat;
import org.jivesoftware.smackx.muc.MultiUserChatManager;
import org.jivesoftware.smackx.xdata.form.FillableForm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.jxmpp.jid.EntityBareJid;
import org.jxmpp.jid.impl.JidCreate;
import org.jxmpp.jid.parts.Resourcepart;

import dev.strata.api.auth.ScramHash;
import dev.strata.bench.RawXmppClient;
import dev.strata.itests.StrataServer.Result;

/**
 * Storage on PostgreSQL, selected by configuration alone. .ci/run provides the database
 * (Debian's postgresql on 127.0.0.1:5432) and STRATA_TEST_PG_URL; without it this test is skipped.
 */
@EnabledIfEnvironmentVariable(named = "STRATA_TEST_PG_URL", matches = ".+")
class PostgresIT {

    @Test
    void accountsLiveInPostgresqlAcrossRestarts() throws Exception {
        Path home = StrataServer.freshHome("postgres-it");
        onPostgresql(home);
        try (StrataServer s = StrataServer.start(home, home.resolve("data"), Map.of())) {
            assertThat(s.strata(Map.of(), "check").exit()).isZero();
            awaitDatabase(s);
            s.ssh("user:delete carol@localhost"); // a previous run's account, if any
            Result add = s.ssh("user:add carol@localhost Carol-pg-1");
            assertThat(add.exit()).as("%s", add).isZero();
            try (var login = RawXmppClient.login(s.c2sPort, false, "carol", "Carol-pg-1", ScramHash.SHA_256, "tls-exporter")) {
                assertThat(login.success()).as(login.transcript()).isTrue();
            }
            s.stop();
            s.start();
            try (var login = RawXmppClient.login(s.c2sPort, false, "carol", "Carol-pg-1", ScramHash.SHA_512, null)) {
                assertThat(login.success()).as("after a restart: %s", login.transcript()).isTrue();
            }
            assertThat(s.ssh("user:list").out()).contains("carol@localhost");
            assertThat(s.ssh("user:delete carol@localhost").exit()).isZero();
            assertThat(Files.exists(home.resolve("data/db/strata.mv.db"))).as("no H2 file when PostgreSQL is configured").isFalse();
        }
    }

    /** A persistent, logging room (XEP-0045 with its archive) kept in PostgreSQL across a restart. */
    @Test
    void aPersistentRoomAndItsArchiveLiveInPostgresql() throws Exception {
        Path home = StrataServer.freshHome("postgres-muc-it");
        onPostgresql(home);
        // the database outlives test runs: a room of its own each time
        EntityBareJid room = JidCreate.entityBareFrom("pg" + Long.toString(System.nanoTime(), 36) + "@conference.localhost");
        try (StrataServer s = StrataServer.start(home, home.resolve("data"), Map.of())) {
            awaitDatabase(s);
            s.ssh("user:delete dora@localhost");
            assertThat(s.ssh("user:add dora@localhost Dora-pg-1").exit()).isZero();
            XMPPTCPConnection dora = Clients.smack(s, "dora", "Dora-pg-1", "desk");
            MultiUserChat muc = MultiUserChatManager.getInstanceFor(dora).getMultiUserChat(room);
            muc.create(Resourcepart.from("dora"));
            FillableForm form = muc.getConfigurationForm().getFillableForm();
            form.setAnswer("muc#roomconfig_roomname", "On PostgreSQL");
            form.setAnswer("muc#roomconfig_persistentroom", true);
            form.setAnswer("muc#roomconfig_enablelogging", true);
            muc.sendConfigurationForm(form);
            muc.sendMessage("kept in postgres");
            Message echo; // the reflection, after the room's subject and its configuration note (no bodies)
            do {
                echo = muc.nextMessage(10_000);
            } while (echo != null && echo.getBody() == null);
            assertThat(echo).as("the message reflected").isNotNull();
            assertThat(echo.getBody()).isEqualTo("kept in postgres");
            dora.disconnect();

            s.stop();
            s.start();
            dora = Clients.smack(s, "dora", "Dora-pg-1", "desk");
            assertThat(ServiceDiscoveryManager.getInstanceFor(dora).discoverInfo(room).getIdentities().get(0).getName()).isEqualTo("On PostgreSQL");
            muc = MultiUserChatManager.getInstanceFor(dora).getMultiUserChat(room);
            MamManager.MamQuery page = MamManager.getInstanceFor(muc).queryArchive(MamManager.MamQueryArgs.builder().setResultPageSizeTo(10).build());
            assertThat(page.getMessages().stream().map(Message::getBody)).containsExactly("kept in postgres");
            muc.destroy("test over", null);
            dora.disconnect();
            assertThat(s.ssh("user:delete dora@localhost").exit()).isZero();
        }
    }

    @Test
    void pubsubNodesAndPepItemsLiveInPostgresqlAndGoWithTheAccount() throws Exception {
        Path home = StrataServer.freshHome("postgres-pubsub-it");
        onPostgresql(home);
        String node = "pg" + Long.toString(System.nanoTime(), 36); // the database outlives test runs
        try (StrataServer s = StrataServer.start(home, home.resolve("data"), Map.of())) {
            awaitDatabase(s);
            s.ssh("user:delete erin@localhost");
            assertThat(s.ssh("user:add erin@localhost Erin-pg-1").exit()).isZero();
            XMPPTCPConnection erin = Clients.smack(s, "erin", "Erin-pg-1", "desk");
            org.jivesoftware.smackx.pubsub.LeafNode leaf = org.jivesoftware.smackx.pubsub.PubSubManager
                    .getInstanceFor(erin, JidCreate.bareFrom("pubsub.localhost")).createNode(node);
            leaf.publish(new org.jivesoftware.smackx.pubsub.PayloadItem<>("n1", new org.jivesoftware.smackx.pubsub.SimplePayload("<entry xmlns='urn:example:news'>kept</entry>")));
            org.jivesoftware.smackx.pep.PepManager.getInstanceFor(erin).publish("http://jabber.org/protocol/tune",
                    new org.jivesoftware.smackx.pubsub.PayloadItem<>("t1", new org.jivesoftware.smackx.pubsub.SimplePayload("<tune xmlns='http://jabber.org/protocol/tune'><title>pg</title></tune>")));
            erin.disconnect();

            s.stop();
            s.start();
            erin = Clients.smack(s, "erin", "Erin-pg-1", "desk");
            assertThat(org.jivesoftware.smackx.pubsub.PubSubManager.getInstanceFor(erin, JidCreate.bareFrom("pubsub.localhost")).getLeafNode(node).<org.jivesoftware.smackx.pubsub.Item>getItems())
                    .extracting(org.jivesoftware.smackx.pubsub.Item::getId).containsExactly("n1");
            assertThat(org.jivesoftware.smackx.pep.PepManager.getInstanceFor(erin).getPepPubSubManager().getLeafNode("http://jabber.org/protocol/tune").<org.jivesoftware.smackx.pubsub.Item>getItems())
                    .extracting(org.jivesoftware.smackx.pubsub.Item::getId).containsExactly("t1");
            org.jivesoftware.smackx.pubsub.PubSubManager.getInstanceFor(erin, JidCreate.bareFrom("pubsub.localhost")).deleteNode(node);
            erin.disconnect();
            // the account's PEP nodes go with it: whoever registers the name next starts with none
            assertThat(s.ssh("user:delete erin@localhost").exit()).isZero();
            assertThat(s.ssh("user:add erin@localhost Erin-pg-2").exit()).isZero();
            assertThat(s.ssh("pubsub:nodes erin@localhost").out()).contains("No nodes on erin@localhost");
            assertThat(s.ssh("user:delete erin@localhost").exit()).isZero();
        }
    }

    /** The server's storage on the test's PostgreSQL database, by configuration alone. */
    /** /ready reports the storage: 503 naming it while the database cannot be reached (its TCP proxy cut), 200 once it can again. */
    @Test
    void readyTurnsUnhealthyWhileTheDatabaseIsUnreachable() throws Exception {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("jdbc:postgresql://([^:/]+)(?::(\\d+))?/(.*)").matcher(System.getenv("STRATA_TEST_PG_URL"));
        assertThat(m.matches()).as("STRATA_TEST_PG_URL").isTrue();
        int pgPort = m.group(2) == null ? 5432 : Integer.parseInt(m.group(2));
        try (Proxy proxy = new Proxy(m.group(1), pgPort)) {
            Path home = StrataServer.freshHome("postgres-ready-it");
            onPostgresql(home);
            Path cfg = home.resolve("config/stack/06-storage/strata.storage.jdbc.cfg");
            Files.writeString(cfg, Files.readString(cfg).replace("url = ${env:STRATA_TEST_PG_URL}",
                    "url = jdbc:postgresql://127.0.0.1:" + proxy.port + "/" + m.group(3)));
            try (StrataServer s = StrataServer.start(home, home.resolve("data"), Map.of())) {
                var http = java.net.http.HttpClient.newHttpClient();
                java.net.URI ready = java.net.URI.create("http://127.0.0.1:" + s.httpPort + "/ready");
                java.util.function.Supplier<java.net.http.HttpResponse<String>> get = () -> {
                    try {
                        return http.send(java.net.http.HttpRequest.newBuilder(ready).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                };
                StrataServer.awaitValue(java.time.Duration.ofSeconds(30), "ready", get, r -> r.statusCode() == 200);
                assertThat(get.get().body()).contains("\"status\":\"ready\"", "\"storage\":\"ok\"");
                proxy.cut();
                var down = StrataServer.awaitValue(java.time.Duration.ofSeconds(30), "not ready", get, r -> r.statusCode() == 503);
                assertThat(down.body()).contains("\"status\":\"not ready\"", "\"storage\":\"the database").contains("\"router\":\"ok\"");
                proxy.resume();
                StrataServer.awaitValue(java.time.Duration.ofSeconds(60), "ready again", get, r -> r.statusCode() == 200);
            }
        }
    }

    /** A TCP proxy on 127.0.0.1 to the database that can be cut (every connection dropped, none accepted) and resumed on the same port. */
    private static final class Proxy implements AutoCloseable {
        private final String host;
        private final int target;
        final int port;
        private volatile java.net.ServerSocket server;
        private final java.util.List<java.net.Socket> open = new java.util.concurrent.CopyOnWriteArrayList<>();

        Proxy(String host, int target) throws java.io.IOException {
            this.host = host;
            this.target = target;
            this.server = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
            this.port = server.getLocalPort();
            accept(server);
        }

        private void accept(java.net.ServerSocket ss) {
            Thread.ofVirtual().start(() -> {
                while (!ss.isClosed()) {
                    try {
                        java.net.Socket client = ss.accept();
                        java.net.Socket db = new java.net.Socket(host, target);
                        open.add(client);
                        open.add(db);
                        pipe(client, db);
                        pipe(db, client);
                    } catch (java.io.IOException e) {
                        return;
                    }
                }
            });
        }

        private static void pipe(java.net.Socket from, java.net.Socket to) {
            Thread.ofVirtual().start(() -> {
                try {
                    from.getInputStream().transferTo(to.getOutputStream());
                } catch (java.io.IOException e) {
                    // cut
                } finally {
                    try {
                        from.close();
                        to.close();
                    } catch (java.io.IOException e) {
                        // closed
                    }
                }
            });
        }

        void cut() throws java.io.IOException {
            server.close();
            for (java.net.Socket s : open) s.close();
            open.clear();
        }

        void resume() throws java.io.IOException {
            java.net.ServerSocket ss = new java.net.ServerSocket();
            ss.setReuseAddress(true);
            ss.bind(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port));
            server = ss;
            accept(ss);
        }

        @Override
        public void close() throws java.io.IOException {
            cut();
        }
    }

    private static void onPostgresql(Path home) throws java.io.IOException {
        Path cfg = home.resolve("config/stack/06-storage/strata.storage.jdbc.cfg");
        Files.createDirectories(cfg.getParent());
        Files.writeString(cfg, """
                # storage on PostgreSQL, from the environment
                url = ${env:STRATA_TEST_PG_URL}
                user = ${env:STRATA_TEST_PG_USER}
                password = ${env:STRATA_TEST_PG_PASSWORD}
                """);
    }

    private static void awaitDatabase(StrataServer s) {
        StrataServer.await(java.time.Duration.ofSeconds(30), "the PostgreSQL database",
                () -> s.log().contains("Database " + System.getenv("STRATA_TEST_PG_URL") + " ready"));
    }
}
