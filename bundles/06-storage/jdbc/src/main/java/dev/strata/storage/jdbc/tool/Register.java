package dev.strata.storage.jdbc.tool;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;

import javax.sql.DataSource;

import dev.strata.api.InvalidJidException;
import dev.strata.api.Jid;
import dev.strata.api.storage.StorageException;
import dev.strata.config.check.ConfigTree;
import dev.strata.config.check.ConfigTree.Setting;
import dev.strata.config.check.ConfigTree.Target;
import dev.strata.storage.jdbc.internal.Accounts;
import dev.strata.storage.jdbc.internal.Durability;
import dev.strata.storage.jdbc.internal.H2;
import dev.strata.storage.jdbc.internal.Migrations;
import dev.strata.storage.jdbc.internal.Transactions;

/**
 * {@code strata register USER DOMAIN PASSWORD} with the server stopped: opens the embedded H2
 * database the configuration names (PID {@code strata.storage.jdbc}) and creates the account.
 * While the server runs, H2 keeps the file locked: use the console's {@code user:add} then.
 */
public final class Register {
    private Register() {
    }

    public static void main(String[] args) {
        if (args.length != 3) {
            System.err.println("usage: strata register USER DOMAIN PASSWORD");
            System.exit(2);
        }
        try {
            Jid user = Jid.of(args[0], args[1], null);
            Map<String, Setting> settings = ConfigTree.read(Path.of(env("STRATA_CONFIG_PATH", "config")), System::getenv)
                    .targets().getOrDefault(new Target("strata.storage.jdbc", null), Map.of());
            String url = value(settings, "url", "");
            if (url.isBlank()) url = H2.defaultUrl(Path.of(env("STRATA_DATA_PATH", "data")));
            if (!url.startsWith("jdbc:h2:")) {
                fail("strata register works on the embedded H2 database; for " + url + " use the console's user:add");
            }
            int iterations = Integer.parseInt(value(settings, "scram.iterations", "4096"));
            DataSource ds = H2.dataSource(url, value(settings, "user", "strata"), value(settings, "password", ""));
            try (Connection c = ds.getConnection()) {
                Migrations.apply(c);
            }
            new Accounts(new Transactions(ds, Durability.COMMIT), iterations).create(user, args[2]); // the database closes, and writes out, when the tool's last connection does
            System.out.println("Account " + user + " created");
        } catch (InvalidJidException e) {
            fail("Not a valid account name: " + e.getMessage());
        } catch (SQLException e) {
            String m = e.getMessage() == null ? "" : e.getMessage();
            fail(m.contains("already in use") || m.contains("locked")
                    ? "The database is in use by the running server: create the account with the console's user:add"
                    : "Cannot open the database: " + m.lines().findFirst().orElse(m));
        } catch (IllegalStateException | IllegalArgumentException | StorageException e) {
            fail(e.getMessage());
        } catch (java.io.IOException e) {
            fail("Cannot read the configuration: " + e.getMessage());
        }
    }

    private static String value(Map<String, Setting> settings, String key, String fallback) {
        Setting s = settings.get(key);
        return s == null ? fallback : s.value();
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v;
    }

    private static void fail(String message) {
        System.err.println("strata register: " + message);
        System.exit(1);
    }
}
