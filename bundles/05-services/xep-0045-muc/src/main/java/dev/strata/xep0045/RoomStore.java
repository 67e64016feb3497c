package dev.strata.xep0045;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.Jid;
import dev.strata.api.storage.SqlDatabase;
import dev.strata.api.xml.Element;
import dev.strata.api.xml.Xml;
import dev.strata.api.xml.XmlException;
import dev.strata.api.xml.XmlLimits;
import dev.strata.api.xml.XmlWriter;

/**
 * Rooms in the server's SQL database (H2 or PostgreSQL), as XML documents: {@code strata_muc_room}
 * keeps persistent rooms (configuration, affiliations, subject), {@code strata_muc_live} holds the
 * live state of every room (occupants, history) for the moment between one revision of the module
 * stopping and the next starting.
 */
final class RoomStore {
    private static final Logger LOG = LoggerFactory.getLogger(RoomStore.class);
    /** A room document: its affiliation list and history may be long, never deep. */
    private static final XmlLimits STORED = new XmlLimits(1_000_000, 64, 64);

    static final List<SqlDatabase.Migration> MIGRATIONS = List.of(SqlDatabase.Migration.of("rooms", """
            CREATE TABLE strata_muc_room (
                service VARCHAR(1023)    NOT NULL,
                name    VARCHAR(1023)    NOT NULL,
                doc     VARCHAR(1000000) NOT NULL,
                PRIMARY KEY (service, name)
            );
            CREATE TABLE strata_muc_live (
                service VARCHAR(1023)    NOT NULL,
                name    VARCHAR(1023)    NOT NULL,
                doc     VARCHAR(1000000) NOT NULL,
                PRIMARY KEY (service, name)
            );
            """));

    private final SqlDatabase db;

    RoomStore(SqlDatabase db) {
        this.db = db;
        int applied = db.migrate("muc", MIGRATIONS);
        if (applied > 0) LOG.info("Room tables: {} migrations applied", applied);
    }

    /** Stores (or replaces) a persistent room; returns once it survives a crash. */
    void save(Jid room, Element doc) {
        String xml = XmlWriter.toString(doc, "");
        db.transaction(c -> {
            put(c, "strata_muc_room", room, xml);
            return null;
        });
    }

    void delete(Jid room) {
        db.transaction(c -> {
            try (PreparedStatement p = c.prepareStatement("DELETE FROM strata_muc_room WHERE service = ? AND name = ?")) {
                p.setString(1, room.domain());
                p.setString(2, room.local());
                p.executeUpdate();
            }
            return null;
        });
    }

    /** The persistent rooms of one service domain. */
    List<Element> rooms(String service) {
        return db.read(c -> read(c, "strata_muc_room", service));
    }

    /** Hands the live rooms of the given services over to the next revision (replacing an earlier hand-over). */
    void handOver(List<String> services, List<Element> rooms) {
        db.transaction(c -> {
            for (String s : services) clear(c, s);
            for (Element r : rooms) {
                Jid j = Jid.of(r.attribute("jid"));
                put(c, "strata_muc_live", j, XmlWriter.toString(r, ""));
            }
            return null;
        });
    }

    /** What the previous revision handed over for one service, removed as it is read. */
    List<Element> takeOver(String service) {
        return db.transaction(c -> {
            List<Element> out = read(c, "strata_muc_live", service);
            clear(c, service);
            return out;
        });
    }

    private static void clear(java.sql.Connection c, String service) throws java.sql.SQLException {
        try (PreparedStatement p = c.prepareStatement("DELETE FROM strata_muc_live WHERE service = ?")) {
            p.setString(1, service);
            p.executeUpdate();
        }
    }

    private static void put(java.sql.Connection c, String table, Jid room, String xml) throws java.sql.SQLException {
        try (PreparedStatement d = c.prepareStatement("DELETE FROM " + table + " WHERE service = ? AND name = ?")) {
            d.setString(1, room.domain());
            d.setString(2, room.local());
            d.executeUpdate();
        }
        try (PreparedStatement p = c.prepareStatement("INSERT INTO " + table + " (service, name, doc) VALUES (?, ?, ?)")) {
            p.setString(1, room.domain());
            p.setString(2, room.local());
            p.setString(3, xml);
            p.executeUpdate();
        }
    }

    private static List<Element> read(java.sql.Connection c, String table, String service) throws java.sql.SQLException {
        List<Element> out = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement("SELECT name, doc FROM " + table + " WHERE service = ? ORDER BY name")) {
            p.setString(1, service);
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    try {
                        out.add(Xml.parse(r.getString(2), STORED));
                    } catch (XmlException e) {
                        LOG.error("The stored room {}@{} cannot be read and is left out: {}", r.getString(1), service, e.getMessage());
                    }
                }
            }
        }
        return out;
    }
}
