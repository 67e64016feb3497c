package dev.strata.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import dev.strata.itests.StreamManagementIT.Raw;
import dev.strata.storage.jdbc.internal.H2;

/**
 * The archive at scale, on demand ({@code -Dstrata.mam.scale=1000000}): an account's archive
 * filled with that many messages straight into the database, then pages of 50 asked for over a
 * real stream (after a random id, with a conversation partner; and the newest page), timed from
 * the query's last byte to its answer's. Prints p50 and p99 for H2, and for PostgreSQL when
 * STRATA_TEST_PG_URL is set. Not part of the build: filling takes a minute or two.
 */
@EnabledIfSystemProperty(named = "strata.mam.scale", matches = "\\d+")
class MamScaleIT {
    private static final int QUERIES = 300;
    /** Queries of each kind first, not timed, while the new server compiles its query path. */
    private static final int WARM_UP = 300;

    @Test
    void pagesOf50FromAMillionOnH2() throws Exception {
        Path home = StrataServer.freshHome("mam-scale-h2");
        // opened as the server opens it, so the fill's pages split at the server's page size
        run(home, () -> H2.dataSource("jdbc:h2:file:" + home.resolve("data/db/strata") + ";DB_CLOSE_ON_EXIT=FALSE", "STRATA", "").getConnection(), "H2");
    }

    @Test
    @EnabledIfEnvironmentVariable(named = "STRATA_TEST_PG_URL", matches = ".+")
    void pagesOf50FromAMillionOnPostgresql() throws Exception {
        Path home = StrataServer.freshHome("mam-scale-pg");
        Files.writeString(home.resolve("config/stack/06-storage/strata.storage.jdbc.cfg"), """
                url = ${env:STRATA_TEST_PG_URL}
                user = ${env:STRATA_TEST_PG_USER}
                password = ${env:STRATA_TEST_PG_PASSWORD}
                """);
        run(home, () -> DriverManager.getConnection(System.getenv("STRATA_TEST_PG_URL"), System.getenv("STRATA_TEST_PG_USER"), System.getenv("STRATA_TEST_PG_PASSWORD")),
                "PostgreSQL");
    }

    interface Db {
        Connection open() throws Exception;
    }

    private static void run(Path home, Db db, String name) throws Exception {
        int n = Integer.parseInt(System.getProperty("strata.mam.scale"));
        try (StrataServer s = StrataServer.start(home, home.resolve("data"), Map.of())) {
            s.ssh("user:delete owner@localhost");
            assertThat(s.ssh("user:add owner@localhost owner-Pw-1").exit()).isZero();
            s.stop(); // the archive's tables exist now; fill them while nobody else writes
            long fill = System.nanoTime();
            try (Connection c = db.open()) {
                c.setAutoCommit(false);
                try (Statement st = c.createStatement()) {
                    st.executeUpdate("DELETE FROM strata_mam WHERE owner = 'owner@localhost'");
                }
                Instant start = Instant.now().minus(Duration.ofDays(365));
                try (PreparedStatement p = c.prepareStatement(
                        "INSERT INTO strata_mam (owner, owner_domain, with_bare, with_resource, stamp, stanza) VALUES (?, ?, ?, ?, ?, ?)")) {
                    for (int i = 0; i < n; i++) {
                        String partner = "partner" + (i % 20) + "@localhost";
                        p.setString(1, "owner@localhost");
                        p.setString(2, "localhost");
                        p.setString(3, partner);
                        p.setString(4, "desk");
                        p.setTimestamp(5, Timestamp.from(start.plusMillis(i * 30L)));
                        p.setString(6, "<message xmlns=\"jabber:client\" type=\"chat\" from=\"" + partner + "/desk\" to=\"owner@localhost\" id=\"s" + i
                                + "\"><body>message number " + i + " of a long year of conversations</body></message>");
                        p.addBatch();
                        if (i % 10_000 == 9_999) {
                            p.executeBatch();
                            c.commit();
                        }
                    }
                    p.executeBatch();
                    c.commit();
                }
                if (name.equals("PostgreSQL")) {
                    c.setAutoCommit(true);
                    try (Statement st = c.createStatement()) {
                        st.execute("ANALYZE strata_mam");
                    }
                }
            }
            long[] ids;
            try (Connection c = db.open(); Statement st = c.createStatement();
                    ResultSet r = st.executeQuery("SELECT MIN(id), MAX(id) FROM strata_mam WHERE owner = 'owner@localhost'")) {
                r.next();
                ids = new long[] {r.getLong(1), r.getLong(2)};
            }
            System.out.printf("[figure] MAM %s: %d messages filled in %.1f s%n", name, n, (System.nanoTime() - fill) / 1e9);
            s.start();
            try (Raw owner = Raw.boundWith(s, "owner", "owner-Pw-1", "phone")) {
                Random random = new Random(1);
                List<Long> after = new ArrayList<>(), newest = new ArrayList<>();
                for (int q = -WARM_UP; q < QUERIES; q++) {
                    long id = ids[0] + (long) (random.nextDouble() * (ids[1] - ids[0] - 5000));
                    String with = "<x xmlns='jabber:x:data' type='submit'><field var='with'><value>partner" + random.nextInt(20) + "@localhost</value></field></x>";
                    long t0 = System.nanoTime();
                    owner.send("<iq type='set' id='a" + q + "'><query xmlns='urn:xmpp:mam:2'>" + with
                            + "<set xmlns='http://jabber.org/protocol/rsm'><max>50</max><after>" + id + "</after></set></query></iq>");
                    String got = owner.await("a page", x -> x.contains("</iq>"));
                    long t = System.nanoTime() - t0;
                    assertThat(got.split("<result ", -1)).as("a full page").hasSize(51);
                    if (q >= 0) after.add(t);
                    t0 = System.nanoTime();
                    owner.send("<iq type='set' id='b" + q + "'><query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'><max>50</max><before/></set></query></iq>");
                    got = owner.await("the newest page", x -> x.contains("</iq>"));
                    t = System.nanoTime() - t0;
                    assertThat(got.split("<result ", -1)).hasSize(51);
                    if (q >= 0) newest.add(t);
                }
                System.out.printf("[figure] MAM %s, page of 50 from %d archived messages: with a partner after an id p50 %.2f ms, p99 %.2f ms; newest page p50 %.2f ms, p99 %.2f ms%n",
                        name, n, pct(after, 50), pct(after, 99), pct(newest, 50), pct(newest, 99));
            }
        }
    }

    private static double pct(List<Long> nanos, int p) {
        List<Long> sorted = new ArrayList<>(nanos);
        Collections.sort(sorted);
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1)) / 1e6;
    }
}
