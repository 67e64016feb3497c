package dev.strata.storage.jdbc.internal;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.strata.api.Jid;
import dev.strata.api.storage.KeyValueStore;
import dev.strata.api.storage.SqlDatabase;
import dev.strata.api.storage.StorageException;
import dev.strata.api.xml.Element;
import dev.strata.api.xml.XmlException;
import dev.strata.api.xml.Xml;
import dev.strata.api.xml.XmlWriter;

/** The {@link KeyValueStore} service, in table strata_kv: each document serialized as XML with its namespaces. */
@Component(service = KeyValueStore.class, property = "strata.store=jdbc")
public final class KeyValues implements KeyValueStore {
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
            case H2 -> "MERGE INTO strata_kv (domain, username, store, item_key, document, updated_at) KEY (domain, username, store, item_key) "
                    + "VALUES (?, ?, ?, ?, ?, ?)";
            case POSTGRESQL -> "INSERT INTO strata_kv (domain, username, store, item_key, document, updated_at) VALUES (?, ?, ?, ?, ?, ?) "
                    + "ON CONFLICT (domain, username, store, item_key) DO UPDATE SET document = EXCLUDED.document, updated_at = EXCLUDED.updated_at";
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
                    return r.next() ? Optional.of(parse(r.getString(1))) : Optional.empty();
                }
            }
        });
    }

    @Override
    public void put(Jid user, String store, String key, Element document) {
        Jid a = account(user);
        String xml = XmlWriter.toString(document, "");
        transactions.write(WHAT, c -> {
            try (PreparedStatement p = c.prepareStatement(upsert)) {
                bind(p, a, store, key);
                p.setString(5, xml);
                p.setTimestamp(6, Timestamp.from(Instant.now()));
                p.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public boolean delete(Jid user, String store, String key) {
        Jid a = account(user);
        return transactions.write(WHAT, c -> {
            try (PreparedStatement p = c.prepareStatement("DELETE FROM strata_kv WHERE domain = ? AND username = ? AND store = ? AND item_key = ?")) {
                bind(p, a, store, key);
                return p.executeUpdate() > 0;
            }
        });
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
                    while (r.next()) all.put(r.getString(1), parse(r.getString(2)));
                }
            }
            return all;
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

    private static Element parse(String xml) {
        try {
            return Xml.parse(xml);
        } catch (XmlException e) {
            throw new StorageException("A stored document is not valid XML: " + e.getMessage(), e);
        }
    }
}
