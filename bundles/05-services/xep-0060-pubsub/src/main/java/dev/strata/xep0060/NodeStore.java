package dev.strata.xep0060;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.Jid;
import dev.strata.api.storage.SqlDatabase;
import dev.strata.api.xml.Element;
import dev.strata.api.xml.Xml;
import dev.strata.api.xml.XmlException;
import dev.strata.api.xml.XmlLimits;
import dev.strata.api.xml.XmlWriter;
import dev.strata.pubsub.PubSubEngine.Item;

/**
 * Nodes and items in the server's SQL database (H2 or PostgreSQL). {@code strata_pubsub_node}
 * holds one XML document per node (configuration, affiliations, subscriptions);
 * {@code strata_pubsub_item} one row per item, ordered by a per-node sequence, its payload as XML.
 * Every write is one transaction that returns once it survives a crash.
 */
final class NodeStore {
    private static final Logger LOG = LoggerFactory.getLogger(NodeStore.class);
    /** A node document may list many subscribers; an item payload is at most the service's payload limit. */
    private static final XmlLimits STORED = new XmlLimits(4_000_000, 64, 64);

    static final List<SqlDatabase.Migration> MIGRATIONS = List.of(SqlDatabase.Migration.of("nodes and items", """
            CREATE TABLE strata_pubsub_node (
                service VARCHAR(2047)    NOT NULL,
                node    VARCHAR(1023)    NOT NULL,
                doc     VARCHAR(4000000) NOT NULL,
                PRIMARY KEY (service, node)
            );
            CREATE TABLE strata_pubsub_item (
                service   VARCHAR(2047)    NOT NULL,
                node      VARCHAR(1023)    NOT NULL,
                id        VARCHAR(1023)    NOT NULL,
                seq       BIGINT           NOT NULL,
                publisher VARCHAR(3071),
                payload   VARCHAR(4000000),
                PRIMARY KEY (service, node, id)
            );
            CREATE INDEX strata_pubsub_item_seq ON strata_pubsub_item (service, node, seq);
            """));

    /** A node as stored: its document, how many items it has, its highest sequence and newest item. */
    record Loaded(String name, Element doc, int count, long seq, Item last) {
    }

    private final SqlDatabase db;

    NodeStore(SqlDatabase db) {
        this.db = db;
        int applied = db.migrate("pubsub", MIGRATIONS);
        if (applied > 0) LOG.info("Pubsub tables: {} migrations applied", applied);
    }

    /** Every node of a service, with its item count and newest item. */
    List<Loaded> load(Jid service) {
        return db.read(c -> {
            Map<String, Element> docs = new LinkedHashMap<>();
            try (PreparedStatement p = c.prepareStatement("SELECT node, doc FROM strata_pubsub_node WHERE service = ? ORDER BY node")) {
                p.setString(1, service.toString());
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        try {
                            docs.put(r.getString(1), Xml.parse(r.getString(2), STORED));
                        } catch (XmlException e) {
                            LOG.error("The stored node {} of {} cannot be read and is left out: {}", r.getString(1), service, e.getMessage());
                        }
                    }
                }
            }
            Map<String, long[]> counts = new HashMap<>();
            try (PreparedStatement p = c.prepareStatement("SELECT node, COUNT(*), MAX(seq) FROM strata_pubsub_item WHERE service = ? GROUP BY node")) {
                p.setString(1, service.toString());
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) counts.put(r.getString(1), new long[] {r.getLong(2), r.getLong(3)});
                }
            }
            Map<String, Item> last = new HashMap<>();
            try (PreparedStatement p = c.prepareStatement("""
                    SELECT i.node, i.id, i.publisher, i.payload FROM strata_pubsub_item i
                    WHERE i.service = ? AND i.seq = (SELECT MAX(j.seq) FROM strata_pubsub_item j WHERE j.service = i.service AND j.node = i.node)""")) {
                p.setString(1, service.toString());
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) last.put(r.getString(1), item(r.getString(2), r.getString(3), r.getString(4)));
                }
            }
            List<Loaded> out = new ArrayList<>();
            docs.forEach((name, doc) -> {
                long[] n = counts.getOrDefault(name, new long[] {0, 0});
                out.add(new Loaded(name, doc, (int) n[0], n[1], last.get(name)));
            });
            return out;
        });
    }

    void saveNode(Jid service, String node, Element doc) {
        String xml = XmlWriter.toString(doc, "");
        db.transaction(c -> {
            saveNode(c, service, node, xml);
            return null;
        });
    }

    private static void saveNode(Connection c, Jid service, String node, String xml) throws SQLException {
        try (PreparedStatement u = c.prepareStatement("UPDATE strata_pubsub_node SET doc = ? WHERE service = ? AND node = ?")) {
            u.setString(1, xml);
            u.setString(2, service.toString());
            u.setString(3, node);
            if (u.executeUpdate() > 0) return;
        }
        try (PreparedStatement p = c.prepareStatement("INSERT INTO strata_pubsub_node (service, node, doc) VALUES (?, ?, ?)")) {
            p.setString(1, service.toString());
            p.setString(2, node);
            p.setString(3, xml);
            p.executeUpdate();
        }
    }

    /** Deletes a node and its items. */
    void deleteNode(Jid service, String node) {
        db.transaction(c -> {
            for (String table : List.of("strata_pubsub_item", "strata_pubsub_node")) {
                try (PreparedStatement p = c.prepareStatement("DELETE FROM " + table + " WHERE service = ? AND node = ?")) {
                    p.setString(1, service.toString());
                    p.setString(2, node);
                    p.executeUpdate();
                }
            }
            return null;
        });
    }

    /** Deletes every node and item of a service. */
    void deleteService(Jid service) {
        db.transaction(c -> {
            for (String table : List.of("strata_pubsub_item", "strata_pubsub_node")) {
                try (PreparedStatement p = c.prepareStatement("DELETE FROM " + table + " WHERE service = ?")) {
                    p.setString(1, service.toString());
                    p.executeUpdate();
                }
            }
            return null;
        });
    }

    /** What storing an item did: whether it replaced one of the same id, and the ids dropped beyond max_items. */
    record Put(boolean replaced, List<String> dropped) {
    }

    /**
     * Stores an item (replacing one of the same id), with the node document when it changed (a new
     * node), and drops the oldest items beyond {@code max} (-1: the node cannot exceed it with this
     * item, so nothing is looked at).
     */
    Put putItem(Jid service, String node, Element nodeDoc, Item item, long seq, int max) {
        String payload = item.payload() == null ? null : XmlWriter.toString(item.payload(), "");
        String doc = nodeDoc == null ? null : XmlWriter.toString(nodeDoc, "");
        return db.transaction(c -> {
            if (doc != null) saveNode(c, service, node, doc);
            try (PreparedStatement u = c.prepareStatement("UPDATE strata_pubsub_item SET seq = ?, publisher = ?, payload = ? WHERE service = ? AND node = ? AND id = ?")) {
                u.setLong(1, seq);
                u.setString(2, item.publisher() == null ? null : item.publisher().toString());
                u.setString(3, payload);
                u.setString(4, service.toString());
                u.setString(5, node);
                u.setString(6, item.id());
                boolean replaced = u.executeUpdate() > 0;
                if (!replaced) {
                    try (PreparedStatement p = c.prepareStatement("INSERT INTO strata_pubsub_item (service, node, id, seq, publisher, payload) VALUES (?, ?, ?, ?, ?, ?)")) {
                        p.setString(1, service.toString());
                        p.setString(2, node);
                        p.setString(3, item.id());
                        p.setLong(4, seq);
                        p.setString(5, item.publisher() == null ? null : item.publisher().toString());
                        p.setString(6, payload);
                        p.executeUpdate();
                    }
                }
                return new Put(replaced, max < 0 ? List.of() : trim(c, service, node, max));
            }
        });
    }

    /** Drops the oldest items beyond {@code max} (a node whose max_items went down). */
    List<String> trim(Jid service, String node, int max) {
        return db.transaction(c -> trim(c, service, node, max));
    }

    private static List<String> trim(Connection c, Jid service, String node, int max) throws SQLException {
        List<String> ids = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement("SELECT id FROM strata_pubsub_item WHERE service = ? AND node = ? ORDER BY seq DESC")) {
            p.setString(1, service.toString());
            p.setString(2, node);
            try (ResultSet r = p.executeQuery()) {
                int n = 0;
                while (r.next()) if (++n > max) ids.add(r.getString(1));
            }
        }
        for (String id : ids) delete(c, service, node, id);
        return ids;
    }

    /** Deletes one item; false when there was none. */
    boolean deleteItem(Jid service, String node, String id) {
        return db.transaction(c -> delete(c, service, node, id));
    }

    private static boolean delete(Connection c, Jid service, String node, String id) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("DELETE FROM strata_pubsub_item WHERE service = ? AND node = ? AND id = ?")) {
            p.setString(1, service.toString());
            p.setString(2, node);
            p.setString(3, id);
            return p.executeUpdate() > 0;
        }
    }

    /** Deletes every item of a node; how many. */
    int purge(Jid service, String node) {
        return db.transaction(c -> {
            try (PreparedStatement p = c.prepareStatement("DELETE FROM strata_pubsub_item WHERE service = ? AND node = ?")) {
                p.setString(1, service.toString());
                p.setString(2, node);
                return p.executeUpdate();
            }
        });
    }

    /** The items of a node, oldest first: all of them, or those of the given ids (each looked up by its key). */
    List<Item> items(Jid service, String node, List<String> ids) {
        return db.read(c -> {
            List<Row> rows = new ArrayList<>();
            if (ids == null) {
                query(c, "SELECT id, publisher, payload, seq FROM strata_pubsub_item WHERE service = ? AND node = ? ORDER BY seq", service, node, null, 0, rows);
            } else {
                for (String id : ids) {
                    query(c, "SELECT id, publisher, payload, seq FROM strata_pubsub_item WHERE service = ? AND node = ? AND id = ?", service, node, id, 0, rows);
                }
                rows.sort(java.util.Comparator.comparingLong(Row::seq));
            }
            return rows.stream().map(Row::item).toList();
        });
    }

    /** A node's newest item, if it has one. */
    java.util.Optional<Item> newest(Jid service, String node) {
        return db.read(c -> {
            List<Row> rows = new ArrayList<>();
            query(c, "SELECT id, publisher, payload, seq FROM strata_pubsub_item WHERE service = ? AND node = ? ORDER BY seq DESC", service, node, null, 1, rows);
            return rows.stream().map(Row::item).findFirst();
        });
    }

    private record Row(Item item, long seq) {
    }

    /** Reads items of (service, node[, id]) into {@code out}, at most {@code maxRows} (0: all); the columns are id, publisher, payload, seq. */
    private static void query(Connection c, String sql, Jid service, String node, String id, int maxRows, List<Row> out) throws SQLException {
        try (PreparedStatement p = c.prepareStatement(sql)) {
            p.setString(1, service.toString());
            p.setString(2, node);
            if (id != null) p.setString(3, id);
            if (maxRows > 0) p.setMaxRows(maxRows);
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    Item i = item(r.getString(1), r.getString(2), r.getString(3));
                    if (i != null) out.add(new Row(i, r.getLong(4)));
                }
            }
        }
    }

    /** The services whose node documents mention {@code jid} (as subscriber or affiliate). */
    List<Jid> servicesMentioning(Jid jid) {
        return db.read(c -> {
            List<Jid> out = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement("SELECT DISTINCT service FROM strata_pubsub_node WHERE doc LIKE ?")) {
                p.setString(1, "%" + jid.toString().replace("%", "\\%").replace("_", "\\_") + "%");
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) Jid.tryParse(r.getString(1)).ifPresent(out::add);
                }
            }
            return out;
        });
    }

    static int bytes(Element payload) {
        return XmlWriter.toString(payload, "").getBytes(StandardCharsets.UTF_8).length;
    }

    private static Item item(String id, String publisher, String payload) {
        try {
            return new Item(id, publisher == null ? null : Jid.tryParse(publisher).orElse(null), payload == null ? null : Xml.parse(payload, STORED));
        } catch (XmlException e) {
            LOG.error("The stored item {} cannot be read and is left out: {}", id, e.getMessage());
            return null;
        }
    }
}
