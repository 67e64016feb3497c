package dev.strata.storage.jdbc.internal;

import java.sql.Connection;
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

import javax.sql.DataSource;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.strata.api.Jid;
import dev.strata.api.storage.KeyValueStore;
import dev.strata.api.xml.Element;
import dev.strata.api.xml.XmlException;
import dev.strata.api.xml.XmlStreamReader;
import dev.strata.api.xml.XmlWriter;

/** The {@link KeyValueStore} service, in table strata_kv: each document serialized as XML with its namespaces. */
@Component(service = KeyValueStore.class, property = "strata.store=jdbc")
public final class KeyValues implements KeyValueStore {
    private final DataSource dataSource;

    @Activate
    public KeyValues(@Reference Database database) {
        this(database.dataSource());
    }

    KeyValues(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    private static Jid account(Jid user) {
        return Accounts.requireUser(user.bare());
    }

    private <T> T tx(Transactions.Work<T> work) {
        return Transactions.run(dataSource, "Key-value storage", work);
    }

    @Override
    public Optional<Element> get(Jid user, String store, String key) {
        Jid a = account(user);
        return tx(c -> {
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
        tx(c -> {
            Timestamp now = Timestamp.from(Instant.now());
            try (PreparedStatement p = c.prepareStatement("UPDATE strata_kv SET document = ?, updated_at = ? "
                    + "WHERE domain = ? AND username = ? AND store = ? AND item_key = ?")) {
                p.setString(1, xml);
                p.setTimestamp(2, now);
                p.setString(3, a.domain());
                p.setString(4, a.local());
                p.setString(5, store);
                p.setString(6, key);
                if (p.executeUpdate() > 0) return null;
            }
            insert(c, a, store, key, xml, now);
            return null;
        });
    }

    private static void insert(Connection c, Jid a, String store, String key, String xml, Timestamp now) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("INSERT INTO strata_kv (domain, username, store, item_key, document, updated_at) "
                + "VALUES (?, ?, ?, ?, ?, ?)")) {
            bind(p, a, store, key);
            p.setString(5, xml);
            p.setTimestamp(6, now);
            p.executeUpdate();
        }
    }

    @Override
    public boolean delete(Jid user, String store, String key) {
        Jid a = account(user);
        return tx(c -> {
            try (PreparedStatement p = c.prepareStatement("DELETE FROM strata_kv WHERE domain = ? AND username = ? AND store = ? AND item_key = ?")) {
                bind(p, a, store, key);
                return p.executeUpdate() > 0;
            }
        });
    }

    @Override
    public Map<String, Element> getAll(Jid user, String store) {
        Jid a = account(user);
        return tx(c -> {
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
        return new ArrayList<>(getAll(user, store).keySet());
    }

    private static void bind(PreparedStatement p, Jid a, String store, String key) throws SQLException {
        p.setString(1, a.domain());
        p.setString(2, a.local());
        p.setString(3, store);
        p.setString(4, key);
    }

    private static Element parse(String xml) {
        try {
            return XmlStreamReader.parse(xml);
        } catch (XmlException e) {
            throw new IllegalStateException("A stored document is not valid XML: " + e.getMessage(), e);
        }
    }
}
