package dev.strata.storage.jdbc.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

import javax.sql.DataSource;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.strata.api.Jid;
import dev.strata.api.auth.Scram;
import dev.strata.api.auth.ScramHash;
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
        accounts = new Accounts(ds, 4096);
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
        assertThatThrownBy(() -> accounts.create(alice, "x")).isInstanceOf(IllegalStateException.class).hasMessage("The account alice@example.org exists already");
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
        assertThatThrownBy(() -> accounts.changePassword(bob, "x")).hasMessage("There is no account bob@example.org");
        assertThatThrownBy(() -> accounts.create(Jid.of("example.org"), "x")).hasMessageContaining("bare JID with a localpart");
        assertThatThrownBy(() -> accounts.create(Jid.of("a@example.org/r"), "x")).hasMessageContaining("bare JID with a localpart");
    }

    @Test
    void keepsXmlDocumentsPerAccountAndStore() throws Exception {
        Jid alice = Jid.of("alice@example.org");
        accounts.create(alice, "pw");
        KeyValues kv = new KeyValues(ds);
        Element vcard = dev.strata.api.xml.XmlStreamReader.parse(
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
}
