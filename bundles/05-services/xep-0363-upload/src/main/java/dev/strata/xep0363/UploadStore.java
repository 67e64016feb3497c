package dev.strata.xep0363;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.Jid;
import dev.strata.api.storage.SqlDatabase;

/**
 * Slots and uploaded files: a row of {@code strata_upload} per slot in the server's SQL database
 * (who asked, the file's name, size and type, when), and the file itself under the upload folder
 * as {@code <slot id>} (a name the server made, never the client's, so no path a client sends can
 * reach outside the folder). A file is written to {@code <slot id>.part}, forced to disk, and
 * renamed; its row says {@code stored} only after that, and the uploader hears 201 only after the
 * row is committed.
 */
final class UploadStore {
    private static final Logger LOG = LoggerFactory.getLogger(UploadStore.class);

    static final List<SqlDatabase.Migration> MIGRATIONS = List.of(SqlDatabase.Migration.of("slots and files", """
            CREATE TABLE strata_upload (
                slot         VARCHAR(64)   NOT NULL PRIMARY KEY,
                owner        VARCHAR(3071) NOT NULL,
                filename     VARCHAR(1024) NOT NULL,
                size         BIGINT        NOT NULL,
                content_type VARCHAR(255)  NOT NULL,
                created      TIMESTAMP     NOT NULL,
                stored       BOOLEAN       NOT NULL
            );
            CREATE INDEX strata_upload_owner ON strata_upload (owner);
            """));

    /** A slot, and its file once stored. */
    record Slot(String id, Jid owner, String filename, long size, String contentType, Instant created, boolean stored) {
    }

    private final SqlDatabase db;
    final Path dir;

    UploadStore(SqlDatabase db, Path dir) throws IOException {
        this.db = db;
        this.dir = dir;
        Files.createDirectories(dir);
        int applied = db.migrate("upload", MIGRATIONS);
        if (applied > 0) LOG.info("Upload tables: {} migrations applied", applied);
    }

    /** Deletes what uploads cut off by a stop left (their slots stay open for another try). */
    void dropParts() throws IOException {
        try (var parts = Files.newDirectoryStream(dir, "*.part")) {
            for (Path p : parts) Files.deleteIfExists(p);
        }
    }

    void create(Slot s) {
        db.transaction(c -> {
            try (PreparedStatement p = c.prepareStatement("INSERT INTO strata_upload (slot, owner, filename, size, content_type, created, stored) "
                    + "VALUES (?, ?, ?, ?, ?, ?, FALSE)")) {
                p.setString(1, s.id());
                p.setString(2, s.owner().toString());
                p.setString(3, s.filename());
                p.setLong(4, s.size());
                p.setString(5, s.contentType());
                p.setTimestamp(6, Timestamp.from(s.created()));
                p.executeUpdate();
            }
            return null;
        });
    }

    Optional<Slot> find(String id) {
        return db.read(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT slot, owner, filename, size, content_type, created, stored FROM strata_upload WHERE slot = ?")) {
                p.setString(1, id);
                try (ResultSet r = p.executeQuery()) {
                    return r.next() ? Optional.of(slot(r)) : Optional.<Slot>empty();
                }
            }
        });
    }

    private static Slot slot(ResultSet r) throws java.sql.SQLException {
        return new Slot(r.getString(1), Jid.of(r.getString(2)), r.getString(3), r.getLong(4), r.getString(5), r.getTimestamp(6).toInstant(), r.getBoolean(7));
    }

    /**
     * Bytes an owner holds: stored files, and open slots newer than {@code openSince} (a slot
     * reserves its size until it is used or lapses), with the oldest stored file's time.
     */
    record Usage(long bytes, Instant oldest) {
    }

    Usage usage(Jid owner, Instant openSince) {
        return db.read(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT COALESCE(SUM(size), 0), MIN(CASE WHEN stored THEN created END) FROM strata_upload "
                    + "WHERE owner = ? AND (stored OR created >= ?)")) {
                p.setString(1, owner.toString());
                p.setTimestamp(2, Timestamp.from(openSince));
                try (ResultSet r = p.executeQuery()) {
                    r.next();
                    Timestamp t = r.getTimestamp(2);
                    return new Usage(r.getLong(1), t == null ? null : t.toInstant());
                }
            }
        });
    }

    /** The file of slot {@code id} (stored or not). */
    Path file(String id) {
        return dir.resolve(id);
    }

    /** Where an upload to slot {@code id} is written before it is whole. */
    Path part(String id) {
        return dir.resolve(id + ".part");
    }

    /** Marks the slot's file stored (it is in place); true when this call did, false when the slot was stored already or is gone. */
    boolean stored(String id, Instant at) {
        return db.transaction(c -> {
            try (PreparedStatement p = c.prepareStatement("UPDATE strata_upload SET stored = TRUE, created = ? WHERE slot = ? AND NOT stored")) {
                p.setTimestamp(1, Timestamp.from(at));
                p.setString(2, id);
                return p.executeUpdate() == 1;
            }
        });
    }

    /** Deletes stored files older than {@code storedBefore} (none when null) and slots never used since before {@code openBefore}; returns how many. */
    int expire(Instant storedBefore, Instant openBefore) {
        List<String> gone = db.read(c -> {
            List<String> ids = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement("SELECT slot FROM strata_upload WHERE (stored AND created < ?) OR (NOT stored AND created < ?)")) {
                p.setTimestamp(1, Timestamp.from(storedBefore == null ? Instant.EPOCH : storedBefore));
                p.setTimestamp(2, Timestamp.from(openBefore));
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) ids.add(r.getString(1));
                }
            }
            return ids;
        });
        delete(gone);
        return gone.size();
    }

    /** Deletes every slot and file of {@code owner}; returns how many. */
    int deleteOwner(Jid owner) {
        List<String> gone = db.read(c -> {
            List<String> ids = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement("SELECT slot FROM strata_upload WHERE owner = ?")) {
                p.setString(1, owner.bare().toString());
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) ids.add(r.getString(1));
                }
            }
            return ids;
        });
        delete(gone);
        return gone.size();
    }

    /** Files first, then rows: a crash between leaves a row without a file (a 404), never a file nobody can delete. */
    private void delete(List<String> ids) {
        for (String id : ids) {
            try {
                Files.deleteIfExists(file(id));
                Files.deleteIfExists(part(id));
            } catch (IOException e) {
                LOG.warn("Could not delete the uploaded file {}: {}", file(id), e.toString());
            }
        }
        for (int i = 0; i < ids.size(); i += 500) {
            List<String> batch = ids.subList(i, Math.min(ids.size(), i + 500));
            db.transaction(c -> {
                try (PreparedStatement p = c.prepareStatement("DELETE FROM strata_upload WHERE slot = ?")) {
                    for (String id : batch) {
                        p.setString(1, id);
                        p.addBatch();
                    }
                    p.executeBatch();
                }
                return null;
            });
        }
    }
}
