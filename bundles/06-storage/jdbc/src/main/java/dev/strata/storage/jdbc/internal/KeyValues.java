package dev.strata.storage.jdbc.internal;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.Jid;
import dev.strata.api.storage.KeyValueStore;
import dev.strata.api.storage.SqlDatabase;
import dev.strata.api.storage.StorageException;
import dev.strata.api.xml.Element;
import dev.strata.api.xml.XmlException;
import dev.strata.api.xml.Xml;
import dev.strata.api.xml.XmlLimits;

/**
 * The {@link KeyValueStore} service, in table strata_kv: each document serialized as XML with its
 * namespaces, its size kept beside it (so a mailbox is counted without reading it), read back with
 * the store's own limits ({@link #STORED}), never a stream's.
 */
@Component(service = KeyValueStore.class, property = "strata.store=jdbc")
public final class KeyValues implements KeyValueStore {
    private static final Logger LOG = LoggerFactory.getLogger(KeyValues.class);
    /**
     * What a stored document may be: as long as the column holds, and nested and attributed beyond
     * anything a stream lets in (a stanza of 64 attributes gets a {@code from} from the server; an
     * element may be wrapped by the module that stores it).
     */
    static final XmlLimits STORED = new XmlLimits(MAX_DOCUMENT_CHARS, 256, 4096);
    private static final String WHAT = "Key-value storage";
    private final Transactions transactions;
    private final String upsert;

    @Activate
    public KeyValues(@Reference Database database) {
        this(database.transactions(), database.dialect());
    }

    KeyValues(Transactions transactions, SqlDatabase.Dialect dialect) {
        this.transactions = transactions;
        this.upsert = switch (dialect) {
            case H2 -> "MERGE INTO strata_kv (domain, username, store, item_key, document, updated_at, doc_chars) KEY (domain, username, store, item_key) "
                    + "VALUES (?, ?, ?, ?, ?, ?, ?)";
            case POSTGRESQL -> "INSERT INTO strata_kv (domain, username, store, item_key, document, updated_at, doc_chars) VALUES (?, ?, ?, ?, ?, ?, ?) "
                    + "ON CONFLICT (domain, username, store, item_key) DO UPDATE SET document = EXCLUDED.document, updated_at = EXCLUDED.updated_at, "
                    + "doc_chars = EXCLUDED.doc_chars";
        };
    }

    private static Jid account(Jid user) {
        return Accounts.requireUser(user.bare());
    }

    @Override
    public Optional<Element> get(Jid user, String store, String key) {
        Jid a = account(user);
        return transactions.read(WHAT, c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT document FROM strata_kv WHERE domain = ? AND username = ? AND store = ? AND item_key = ?")) {
                bind(p, a, store, key);
                try (ResultSet r = p.executeQuery()) {
                    return r.next() ? parse(a, store, key, r.getString(1)) : Optional.empty();
                }
            }
        });
    }

    @Override
    public void put(Jid user, String store, String key, Element document) {
        Jid a = account(user);
        String xml = KeyValueStore.serialize(document);
        transactions.write(WHAT, c -> {
            try (PreparedStatement p = c.prepareStatement(upsert)) {
                bind(p, a, store, key);
                p.setString(5, xml);
                p.setTimestamp(6, Timestamp.from(Instant.now()));
                p.setInt(7, xml.length());
                p.executeUpdate();
            } catch (SQLException e) {
                // a missing referenced row: 23506 on H2, 23503 on PostgreSQL: the account is gone, or never was
                if ("23506".equals(e.getSQLState()) || "23503".equals(e.getSQLState())) throw new StorageException("There is no account " + a + ": nothing is stored for it", e);
                throw e;
            }
            return null;
        });
    }

    @Override
    public void putEach(String store, String key, Map<Jid, Element> documents) {
        if (documents.isEmpty()) return;
        Map<Jid, String> rows = new LinkedHashMap<>();
        documents.forEach((user, document) -> rows.put(account(user), KeyValueStore.serialize(document))); // too large: nothing stored
        Timestamp now = Timestamp.from(Instant.now());
        try {
            transactions.write(WHAT, c -> {
                try (PreparedStatement p = c.prepareStatement(upsert)) {
                    for (Map.Entry<Jid, String> r : rows.entrySet()) {
                        bind(p, r.getKey(), store, key);
                        p.setString(5, r.getValue());
                        p.setTimestamp(6, now);
                        p.setInt(7, r.getValue().length());
                        p.addBatch();
                    }
                    p.executeBatch();
                }
                return null;
            });
        } catch (StorageException e) {
            // most likely an account deleted meanwhile (its row gone): each on its own, those without an account skipped
            documents.forEach((user, document) -> {
                try {
                    put(user, store, key, document);
                } catch (StorageException one) {
                    LOG.warn("Not stored: {} of {} ({})", store + "/" + key, user, one.getMessage());
                }
            });
        }
    }

    @Override
    public boolean delete(Jid user, String store, String key) {
        return delete(user, store, List.of(key)) > 0;
    }

    @Override
    public Map<String, Element> getAll(Jid user, String store) {
        Jid a = account(user);
        return transactions.read(WHAT, c -> {
            Map<String, Element> all = new LinkedHashMap<>();
            try (PreparedStatement p = c.prepareStatement("SELECT item_key, document FROM strata_kv WHERE domain = ? AND username = ? AND store = ? "
                    + "ORDER BY item_key")) {
                p.setString(1, a.domain());
                p.setString(2, a.local());
                p.setString(3, store);
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        String key = r.getString(1);
                        parse(a, store, key, r.getString(2)).ifPresent(d -> all.put(key, d));
                    }
                }
            }
            return all;
        });
    }

    @Override
    public int delete(Jid user, String store, Collection<String> keys) {
        Jid a = account(user);
        if (keys.isEmpty()) return 0;
        return transactions.write(WHAT, c -> {
            try (PreparedStatement p = c.prepareStatement("DELETE FROM strata_kv WHERE domain = ? AND username = ? AND store = ? AND item_key = ?")) {
                for (String key : keys) {
                    bind(p, a, store, key);
                    p.addBatch();
                }
                int n = 0;
                for (int k : p.executeBatch()) n += Math.max(0, k);
                return n;
            }
        });
    }

    @Override
    public Usage usage(Jid user, String store) {
        Jid a = account(user);
        return transactions.read(WHAT, c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT COUNT(*), COALESCE(SUM(doc_chars), 0) FROM strata_kv WHERE domain = ? AND username = ? AND store = ?")) {
                p.setString(1, a.domain());
                p.setString(2, a.local());
                p.setString(3, store);
                try (ResultSet r = p.executeQuery()) {
                    r.next();
                    return new Usage(r.getInt(1), r.getLong(2));
                }
            }
        });
    }

    @Override
    public List<String> keys(Jid user, String store) {
        Jid a = account(user);
        return transactions.read(WHAT, c -> {
            List<String> keys = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement("SELECT item_key FROM strata_kv WHERE domain = ? AND username = ? AND store = ? ORDER BY item_key")) {
                p.setString(1, a.domain());
                p.setString(2, a.local());
                p.setString(3, store);
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) keys.add(r.getString(1));
                }
            }
            return keys;
        });
    }

    private static void bind(PreparedStatement p, Jid a, String store, String key) throws SQLException {
        p.setString(1, a.domain());
        p.setString(2, a.local());
        p.setString(3, store);
        p.setString(4, key);
    }

    /** A stored document, or empty (logged) when it cannot be read: one bad record never breaks the others. */
    private static Optional<Element> parse(Jid user, String store, String key, String xml) {
        try {
            return Optional.of(Xml.parse(xml, STORED));
        } catch (XmlException e) {
            LOG.warn("Skipping the unreadable document {} in store '{}' of {}: {}", key, store, user, e.getMessage());
            return Optional.empty();
        }
    }
}
