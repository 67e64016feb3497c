package dev.strata.storage.jdbc.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

import dev.strata.api.Jid;
import dev.strata.api.auth.AccountExistsException;
import dev.strata.api.auth.NoSuchAccountException;
import dev.strata.api.auth.Scram;
import dev.strata.api.auth.ScramCredential;
import dev.strata.api.auth.ScramHash;

/**
 * The SQL of accounts, shared by the running store and the offline {@code strata register}.
 * A password becomes one SCRAM credential per hash; it is never written anywhere.
 */
public final class Accounts {
    /** SQLSTATE of a unique or primary key violation, in H2 and PostgreSQL alike. */
    static final String UNIQUE_VIOLATION = "23505";

    private static final String WHAT = "Account storage";
    private final Transactions transactions;
    private final int iterations;

    public Accounts(Transactions transactions, int iterations) {
        this.transactions = transactions;
        this.iterations = iterations;
    }

    static Jid requireUser(Jid user) {
        if (user.local() == null || !user.isBare()) throw new IllegalArgumentException("An account is a bare JID with a localpart, not " + user);
        return user;
    }

    public void create(Jid user, String password) {
        requireUser(user);
        List<ScramCredential> credentials = derive(password);
        transactions.write(WHAT, c -> {
            try (PreparedStatement p = c.prepareStatement("INSERT INTO strata_accounts (domain, username, created_at) VALUES (?, ?, ?)")) {
                p.setString(1, user.domain());
                p.setString(2, user.local());
                p.setTimestamp(3, Timestamp.from(Instant.now()));
                p.executeUpdate();
            } catch (SQLException e) {
                if (UNIQUE_VIOLATION.equals(e.getSQLState())) throw new AccountExistsException(user);
                throw e;
            }
            writeCredentials(c, user, credentials);
            return null;
        });
    }

    public void changePassword(Jid user, String password) {
        requireUser(user);
        List<ScramCredential> credentials = derive(password);
        transactions.write(WHAT, c -> {
            if (!exists(c, user)) throw new NoSuchAccountException(user);
            try (PreparedStatement p = c.prepareStatement("DELETE FROM strata_scram_credentials WHERE domain = ? AND username = ?")) {
                p.setString(1, user.domain());
                p.setString(2, user.local());
                p.executeUpdate();
            }
            writeCredentials(c, user, credentials);
            return null;
        });
    }

    public boolean delete(Jid user) {
        requireUser(user);
        return transactions.write(WHAT, c -> { // credentials and documents go with it (ON DELETE CASCADE)
            try (PreparedStatement p = c.prepareStatement("DELETE FROM strata_accounts WHERE domain = ? AND username = ?")) {
                p.setString(1, user.domain());
                p.setString(2, user.local());
                return p.executeUpdate() > 0;
            }
        });
    }

    public boolean exists(Jid user) {
        requireUser(user);
        return transactions.read(WHAT, c -> exists(c, user));
    }

    public Optional<ScramCredential> credential(Jid user, ScramHash hash) {
        requireUser(user);
        return transactions.read(WHAT, c -> {
            try (PreparedStatement p = c.prepareStatement(
                    "SELECT salt, iterations, stored_key, server_key FROM strata_scram_credentials WHERE domain = ? AND username = ? AND mechanism = ?")) {
                p.setString(1, user.domain());
                p.setString(2, user.local());
                p.setString(3, hash.mechanism());
                try (ResultSet r = p.executeQuery()) {
                    if (!r.next()) return Optional.empty();
                    Base64.Decoder b64 = Base64.getDecoder();
                    return Optional.of(new ScramCredential(hash, b64.decode(r.getString(1)), r.getInt(2), b64.decode(r.getString(3)), b64.decode(r.getString(4))));
                }
            }
        });
    }

    public List<Jid> list(String domain) {
        return transactions.read(WHAT, c -> {
            List<Jid> users = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement("SELECT username FROM strata_accounts WHERE domain = ? ORDER BY username")) {
                p.setString(1, domain);
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) users.add(Jid.of(r.getString(1), domain, null));
                }
            }
            return users;
        });
    }

    private List<ScramCredential> derive(String password) {
        List<ScramCredential> list = new ArrayList<>();
        for (ScramHash h : ScramHash.values()) list.add(Scram.derive(h, password, iterations));
        return list;
    }

    private static boolean exists(Connection c, Jid user) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT 1 FROM strata_accounts WHERE domain = ? AND username = ?")) {
            p.setString(1, user.domain());
            p.setString(2, user.local());
            try (ResultSet r = p.executeQuery()) {
                return r.next();
            }
        }
    }

    private static void writeCredentials(Connection c, Jid user, List<ScramCredential> credentials) throws SQLException {
        Base64.Encoder b64 = Base64.getEncoder();
        try (PreparedStatement p = c.prepareStatement("INSERT INTO strata_scram_credentials "
                + "(domain, username, mechanism, salt, iterations, stored_key, server_key) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
            for (ScramCredential cr : credentials) {
                p.setString(1, user.domain());
                p.setString(2, user.local());
                p.setString(3, cr.hash().mechanism());
                p.setString(4, b64.encodeToString(cr.salt()));
                p.setInt(5, cr.iterations());
                p.setString(6, b64.encodeToString(cr.storedKey()));
                p.setString(7, b64.encodeToString(cr.serverKey()));
                p.addBatch();
            }
            p.executeBatch();
        }
    }
}
