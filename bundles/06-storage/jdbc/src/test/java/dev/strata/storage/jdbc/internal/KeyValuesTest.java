package dev.strata.storage.jdbc.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.UUID;

import javax.sql.DataSource;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.strata.api.Jid;
import dev.strata.api.storage.DocumentTooLargeException;
import dev.strata.api.storage.KeyValueStore;
import dev.strata.api.storage.SqlDatabase;
import dev.strata.api.storage.StorageException;
import dev.strata.api.xml.Element;
import dev.strata.api.xml.XmlLimits;

class KeyValuesTest {
    private final Jid alice = Jid.of("alice@example.org");
    private DataSource ds;
    private KeyValues kv;

    @BeforeEach
    void setUp() throws SQLException {
        ds = H2.dataSource("jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1", "strata", "");
        try (Connection c = ds.getConnection()) {
            Migrations.apply(c);
        }
        Transactions tx = new Transactions(ds, Durability.COMMIT);
        new Accounts(tx, 4096).create(alice, "pw");
        kv = new KeyValues(tx, SqlDatabase.Dialect.H2);
    }

    @Test
    void readsBackWhatAStreamLetInEvenBeyondTheStreamLimits() {
        // 64 attributes plus the one the server adds, and a body of '>' that escaping makes four times longer
        Element.Builder b = Element.builder("message", "jabber:client").attribute("from", "mallory@example.org/x");
        for (int i = 0; i < XmlLimits.DEFAULT.maxAttributes(); i++) b.attribute("a" + i, "v" + i);
        Element message = b.child(Element.builder("body", "jabber:client").text(">".repeat(200_000)).build()).build();
        kv.put(alice, "offline", "1", message);
        assertThat(kv.get(alice, "offline", "1")).contains(message);
        assertThat(kv.getAll(alice, "offline")).containsEntry("1", message);
        assertThat(kv.usage(alice, "offline").chars()).isGreaterThan(800_000);
    }

    /** One commit for several accounts; an account gone meanwhile is skipped, the others stored. */
    @Test
    void putEachStoresForEveryAccountThatStillExists() {
        Jid bob = Jid.of("bob@example.org");
        Jid gone = Jid.of("gone@example.org");
        Accounts accounts = new Accounts(new Transactions(ds, Durability.COMMIT), 4096);
        accounts.create(bob, "pw");
        kv.putEach("last", "logout", java.util.Map.of(alice, Element.builder("last", "urn:x").text("a").build(), bob, Element.builder("last", "urn:x").text("b").build()));
        assertThat(kv.get(alice, "last", "logout")).hasValueSatisfying(e -> assertThat(e.text()).isEqualTo("a"));
        assertThat(kv.get(bob, "last", "logout")).hasValueSatisfying(e -> assertThat(e.text()).isEqualTo("b"));
        kv.putEach("last", "logout", java.util.Map.of(alice, Element.builder("last", "urn:x").text("a2").build(), gone, Element.of("last", "urn:x")));
        assertThat(kv.get(alice, "last", "logout")).hasValueSatisfying(e -> assertThat(e.text()).isEqualTo("a2"));
        assertThat(kv.keys(gone, "last")).isEmpty();
    }

    @Test
    void documentsGoWithTheirAccountAndNoneIsWrittenForAnAccountThatIsGone() {
        kv.put(alice, "vcard", "v", Element.of("vCard", "vcard-temp"));
        Accounts accounts = new Accounts(new Transactions(ds, Durability.COMMIT), 4096);
        assertThat(accounts.delete(alice)).isTrue();
        assertThatThrownBy(() -> kv.put(alice, "last", "logout", Element.of("x", "urn:x"))).isInstanceOf(StorageException.class)
                .hasMessageContaining("There is no account alice@example.org");
        accounts.create(alice, "pw");
        assertThat(kv.get(alice, "vcard", "v")).as("the name inherits nothing").isEmpty();
        assertThat(kv.get(alice, "last", "logout")).isEmpty();
    }

    @Test
    void aDocumentLargerThanTheStoreKeepsIsRefusedAndNothingIsStored() {
        Element huge = Element.builder("x", "urn:x").text("<".repeat(KeyValueStore.MAX_DOCUMENT_CHARS / 4 + 1)).build();
        assertThatThrownBy(() -> kv.put(alice, "vcard", "v", huge)).isInstanceOf(DocumentTooLargeException.class)
                .hasMessageContaining("keeps at most 1000000");
        assertThat(kv.get(alice, "vcard", "v")).isEmpty();
    }

    @Test
    void oneUnreadableRecordNeverBreaksTheOthers() throws SQLException {
        kv.put(alice, "offline", "1", Element.of("a", "urn:x"));
        kv.put(alice, "offline", "3", Element.of("c", "urn:x"));
        try (Connection c = ds.getConnection(); PreparedStatement p = c.prepareStatement(
                "INSERT INTO strata_kv (domain, username, store, item_key, document, updated_at, doc_chars) VALUES (?, ?, 'offline', '2', '<broken', CURRENT_TIMESTAMP, 7)")) {
            p.setString(1, alice.domain());
            p.setString(2, alice.local());
            p.executeUpdate();
        }
        assertThat(kv.getAll(alice, "offline")).containsOnlyKeys("1", "3");
        assertThat(kv.get(alice, "offline", "2")).as("reads as absent, never an error to every reader").isEmpty();
        assertThat(kv.keys(alice, "offline")).containsExactly("1", "2", "3");
    }

    @Test
    void usageCountsWithoutReadingAndManyKeysGoInOneDelete() {
        for (int i = 0; i < 5; i++) kv.put(alice, "offline", "k" + i, Element.builder("m", "urn:x").text("x".repeat(10)).build());
        KeyValueStore.Usage u = kv.usage(alice, "offline");
        assertThat(u.documents()).isEqualTo(5);
        assertThat(u.chars()).isEqualTo(5L * "<m xmlns=\"urn:x\">xxxxxxxxxx</m>".length());
        assertThat(kv.delete(alice, "offline", List.of("k0", "k1", "nope"))).isEqualTo(2);
        assertThat(kv.usage(alice, "offline").documents()).isEqualTo(3);
        assertThat(kv.usage(alice, "empty")).isEqualTo(new KeyValueStore.Usage(0, 0));
    }
}
