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
