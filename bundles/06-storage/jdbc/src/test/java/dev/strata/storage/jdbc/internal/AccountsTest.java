package dev.strata.storage.jdbc.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import javax.sql.DataSource;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.strata.api.Jid;
import dev.strata.api.auth.AccountExistsException;
import dev.strata.api.auth.NoSuchAccountException;
import dev.strata.api.auth.Scram;
import dev.strata.api.auth.ScramHash;
import dev.strata.api.storage.SqlDatabase;
import dev.strata.api.storage.StorageException;
import dev.strata.api.xml.Element;

class AccountsTest {
    private DataSource ds;
    private Accounts accounts;

    @BeforeEach
    void setUp() throws SQLException {
        ds = H2.dataSource("jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1", "strata", "");
        try (Connection c = ds.getConnection()) {
            assertThat(Migrations.apply(c)).isEqualTo(Migrations.SCRIPTS.size());
            assertThat(Migrations.apply(c)).as("idempotent").isZero();
        }
        accounts = new Accounts(new Transactions(ds, Durability.COMMIT), 4096);
    }

    @Test
    void createsAccountsWithOneCredentialPerHash() {
        Jid alice = Jid.of("alice@example.org");
        accounts.create(alice, "wonderland");
        assertThat(accounts.exists(alice)).isTrue();
        for (ScramHash h : ScramHash.values()) {
            var c = accounts.credential(alice, h).orElseThrow();
            assertThat(c.iterations()).isEqualTo(4096);
            assertThat(Scram.verify(c, "wonderland")).isTrue();
        }
        assertThatThrownBy(() -> accounts.create(alice, "x")).isInstanceOf(AccountExistsException.class).hasMessage("The account alice@example.org exists already");
    }

    @Test
    void changesPasswordsDeletesAndLists() {
        Jid bob = Jid.of("bob@example.org");
        accounts.create(bob, "one");
        accounts.create(Jid.of("carol@example.org"), "c");
        accounts.create(Jid.of("dave@other.org"), "d");
        accounts.changePassword(bob, "two");
        assertThat(Scram.verify(accounts.credential(bob, ScramHash.SHA_256).orElseThrow(), "two")).isTrue();
        assertThat(Scram.verify(accounts.credential(bob, ScramHash.SHA_1).orElseThrow(), "one")).isFalse();
        assertThat(accounts.list("example.org")).containsExactly(bob, Jid.of("carol@example.org"));
        assertThat(accounts.delete(bob)).isTrue();
        assertThat(accounts.delete(bob)).isFalse();
        assertThat(accounts.credential(bob, ScramHash.SHA_256)).isEmpty();
        assertThatThrownBy(() -> accounts.changePassword(bob, "x")).isInstanceOf(NoSuchAccountException.class).hasMessage("There is no account bob@example.org");
        assertThatThrownBy(() -> accounts.create(Jid.of("example.org"), "x")).hasMessageContaining("bare JID with a localpart");
        assertThatThrownBy(() -> accounts.create(Jid.of("a@example.org/r"), "x")).hasMessageContaining("bare JID with a localpart");
    }

    @Test
    void keepsXmlDocumentsPerAccountAndStore() throws Exception {
        Jid alice = Jid.of("alice@example.org");
        accounts.create(alice, "pw");
        KeyValues kv = new KeyValues(new Transactions(ds, Durability.COMMIT), SqlDatabase.Dialect.H2);
        Element vcard = dev.strata.api.xml.Xml.parse(
                "<vCard xmlns='vcard-temp'><FN>Alice &amp; Co</FN><x xmlns='urn:other' a='1'/></vCard>");
        kv.put(alice.withResource("phone"), "vcard", "current", vcard);
        assertThat(kv.get(alice, "vcard", "current")).contains(vcard);
        kv.put(alice, "vcard", "current", Element.of("vCard", "vcard-temp"));
        assertThat(kv.get(alice, "vcard", "current").orElseThrow().children()).isEmpty();
        kv.put(alice, "private", "b", Element.of("b", "urn:b"));
        kv.put(alice, "private", "a", Element.of("a", "urn:a"));
        assertThat(kv.keys(alice, "private")).containsExactly("a", "b");
        assertThat(kv.getAll(alice, "private")).containsKeys("a", "b");
        assertThat(kv.delete(alice, "private", "a")).isTrue();
        assertThat(kv.delete(alice, "private", "a")).isFalse();
        assertThat(kv.get(alice, "private", "a")).isEmpty();
        accounts.delete(alice);
        assertThat(kv.getAll(alice, "vcard")).as("deleted with the account").isEmpty();
    }

    @Test
    void refusesADatabaseFromANewerStrata() throws SQLException {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO strata_schema_version (version, description, applied_at) VALUES (99, 'future', CURRENT_TIMESTAMP)");
            assertThatThrownBy(() -> Migrations.apply(c)).hasMessageContaining("newer than this Strata");
        }
    }

    @Test
    void splitsScriptsIntoStatements() {
        assertThat(Migrations.statements("-- c\nCREATE TABLE a (x INT);\n\nCREATE TABLE b (\n y INT\n);\n"))
                .containsExactly("CREATE TABLE a (x INT)", "CREATE TABLE b (\n y INT\n)");
    }

    @Test
    void aDatabaseOutageIsAStorageExceptionNeverAnAnswerAboutTheAccount() {
        DataSource down = (DataSource) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {DataSource.class}, (proxy, method, args) -> {
            if (method.getName().equals("getConnection")) throw new SQLException("Connection refused", "08001");
            throw new UnsupportedOperationException(method.getName());
        });
        Accounts broken = new Accounts(new Transactions(down, Durability.COMMIT), 4096);
        Jid alice = Jid.of("alice@example.org");
        assertThatThrownBy(() -> broken.create(alice, "pw")).isInstanceOf(StorageException.class).isNotInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> broken.changePassword(alice, "pw")).isInstanceOf(StorageException.class).isNotInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> broken.exists(alice)).isInstanceOf(StorageException.class);
        assertThatThrownBy(() -> new KeyValues(new Transactions(down, Durability.COMMIT), SqlDatabase.Dialect.H2).put(alice, "s", "k", Element.of("x", "urn:x")))
                .isInstanceOf(StorageException.class);
    }

    @Test
    void putIsAnUpsertThatConcurrentWritersNeverFailOn() throws Exception {
        Jid alice = Jid.of("alice@example.org");
        accounts.create(alice, "pw");
        KeyValues kv = new KeyValues(new Transactions(ds, Durability.COMMIT), SqlDatabase.Dialect.H2);
        List<Thread> writers = new ArrayList<>();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        for (int i = 0; i < 8; i++) {
            String value = "v" + i;
            writers.add(Thread.ofPlatform().start(() -> {
                try {
                    for (int n = 0; n < 20; n++) kv.put(alice, "race", "k" + n, Element.builder("x", "urn:x").text(value).build());
                } catch (Throwable t) {
                    failures.add(t);
                }
            }));
        }
        for (Thread t : writers) t.join();
        assertThat(failures).isEmpty();
        assertThat(kv.keys(alice, "race")).hasSize(20);
    }

    @Test
    void aModuleBringsItsOwnTablesWithVersionedMigrations() throws SQLException {
        List<SqlDatabase.Migration> v1 = List.of(SqlDatabase.Migration.of("rooms", "CREATE TABLE muc_rooms (jid VARCHAR(100) PRIMARY KEY);"));
        List<SqlDatabase.Migration> v2 = List.of(v1.getFirst(),
                new SqlDatabase.Migration("subject", "ALTER TABLE muc_rooms ADD COLUMN subject VARCHAR(1000);", "ALTER TABLE muc_rooms ADD subject TEXT;"));
        try (Connection c = ds.getConnection()) {
            assertThat(Migrations.apply(c, "muc", v1, SqlDatabase.Dialect.H2)).isEqualTo(1);
            assertThat(Migrations.apply(c, "muc", v2, SqlDatabase.Dialect.H2)).isEqualTo(1);
            assertThat(Migrations.apply(c, "muc", v2, SqlDatabase.Dialect.H2)).as("idempotent").isZero();
            assertThat(Migrations.apply(c, "pubsub", v1.subList(0, 0), SqlDatabase.Dialect.H2)).isZero();
            try (Statement s = c.createStatement()) {
                s.execute("INSERT INTO muc_rooms (jid, subject) VALUES ('a@conference.example.org', 'hi')");
            }
            assertThatThrownBy(() -> Migrations.apply(c, "muc", v1, SqlDatabase.Dialect.H2)).hasMessageContaining("newer than this Strata");
            List<SqlDatabase.Migration> broken = List.of(v1.getFirst(), v2.get(1), SqlDatabase.Migration.of("bad", "CREATE TABLE muc_x (y INT);\nNOT SQL;"));
            assertThatThrownBy(() -> Migrations.apply(c, "muc", broken, SqlDatabase.Dialect.H2)).isInstanceOf(SQLException.class);
            try (Statement s = c.createStatement(); var r = s.executeQuery("SELECT MAX(version) FROM strata_module_schema WHERE module = 'muc'")) {
                r.next();
                assertThat(r.getInt(1)).as("the failed migration is rolled back and not recorded").isEqualTo(2);
            }
        }
    }
}
