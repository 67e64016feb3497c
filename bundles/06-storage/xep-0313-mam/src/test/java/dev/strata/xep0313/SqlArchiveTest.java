package dev.strata.xep0313;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.strata.api.Jid;
import dev.strata.api.storage.ArchiveStore;
import dev.strata.api.xml.Element;
import dev.strata.testkit.H2Database;

/** The archive's appends written behind in batches: ids, order, visibility, durability and failure. */
class SqlArchiveTest {
    private static final Jid ALICE = Jid.of("alice@example.org");
    private static final Jid BOB = Jid.of("bob@example.org/desk");
    private H2Database db;
    private SqlArchive archive;

    @BeforeEach
    void setUp() throws Exception {
        db = new H2Database("sqlarchive" + System.nanoTime());
        archive = new SqlArchive(db);
    }

    @AfterEach
    void tearDown() throws Exception {
        archive.stop();
        db.close();
    }

    private static Element chat(String body) {
        return Element.builder("message", "jabber:client").attribute("type", "chat")
                .child(Element.builder("body", "jabber:client").text(body).build()).build();
    }

    private long rows(String where) {
        return db.transaction(c -> {
            try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT COUNT(*) FROM strata_mam " + where)) {
                r.next();
                return r.getLong(1);
            }
        });
    }

    /** From now on the database refuses every row that does not meet {@code check}. */
    private void refuseRowsUnless(String check) {
        db.transaction(c -> {
            try (Statement s = c.createStatement()) {
                s.execute("ALTER TABLE strata_mam ADD CONSTRAINT refused CHECK (" + check + ")");
            }
            return null;
        });
    }

    private List<String> ids(Jid owner, ArchiveStore.Query q) {
        return archive.query(owner, q).orElseThrow().entries().stream().map(ArchiveStore.Entry::id).toList();
    }

    @Test
    void idsComeInAppendOrderAndEveryReadSeesWhatWasJustAppended() throws Exception {
        List<String> given = new ArrayList<>();
        for (int i = 0; i < 50; i++) given.add(archive.append(ALICE, BOB, Instant.now(), chat("m" + i)));
        assertThat(given.stream().map(Long::parseLong).toList()).isSorted().doesNotHaveDuplicates();
        // read at once: the archive writes what the reader's archive still holds back before it reads
        assertThat(ids(ALICE, ArchiveStore.Query.all(100))).containsExactlyElementsOf(given);
        assertThat(archive.get(ALICE, given.getLast())).isPresent();
        assertThat(archive.ends(ALICE).orElseThrow().lastId()).isEqualTo(given.getLast());

        String more = archive.append(ALICE, BOB, Instant.now(), chat("one more"));
        archive.written().toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(rows("WHERE owner = 'alice@example.org'")).isEqualTo(51);
        assertThat(Long.parseLong(more)).isGreaterThan(Long.parseLong(given.getLast()));
    }

    @Test
    void aReaderPagingForwardWhileOthersAppendNeverSkipsARow() throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        List<CompletableFuture<Void>> writers = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
            int n = w;
            writers.add(CompletableFuture.runAsync(() -> {
                for (int i = 0; i < 500 && !stop.get(); i++) archive.append(ALICE, BOB, Instant.now(), chat("w" + n + "-" + i));
            }));
        }
        List<String> seen = new ArrayList<>();
        String after = null;
        while (!CompletableFuture.allOf(writers.toArray(CompletableFuture[]::new)).isDone()) {
            List<String> page = ids(ALICE, new ArchiveStore.Query(null, null, null, after, null, List.of(), 7, false));
            seen.addAll(page);
            if (!page.isEmpty()) after = page.getLast();
        }
        for (List<String> page; !(page = ids(ALICE, new ArchiveStore.Query(null, null, null, after, null, List.of(), 50, false))).isEmpty(); ) {
            seen.addAll(page);
            after = page.getLast();
        }
        assertThat(seen).hasSize(2000).containsExactlyElementsOf(ids(ALICE, ArchiveStore.Query.all(5000)));
    }

    @Test
    void theTablesOwnIdentityGoesOnAfterTheLastIdTheArchiveGave() throws Exception {
        String last = null;
        for (int i = 0; i < 10; i++) last = archive.append(ALICE, BOB, Instant.now(), chat("m" + i));
        archive.stop();
        // a tool that fills the table while the server is stopped takes the table's default ids
        long filled = db.transaction(c -> {
            try (Statement s = c.createStatement()) {
                s.executeUpdate("INSERT INTO strata_mam (owner, owner_domain, with_bare, stamp, stanza) "
                        + "VALUES ('alice@example.org', 'example.org', 'bob@example.org', CURRENT_TIMESTAMP, '<message xmlns=\"jabber:client\"/>')");
                try (ResultSet r = s.executeQuery("SELECT MAX(id) FROM strata_mam")) {
                    r.next();
                    return r.getLong(1);
                }
            }
        });
        assertThat(filled).isGreaterThan(Long.parseLong(last));
        archive = new SqlArchive(db);
        assertThat(Long.parseLong(archive.append(ALICE, BOB, Instant.now(), chat("after")))).isGreaterThan(filled);
    }

    @Test
    void aRowTheDatabaseRefusesCostsOnlyItselfNotItsBatch() throws Exception {
        refuseRowsUnless("with_bare <> 'carol@example.org'");
        archive.append(ALICE, BOB, Instant.now(), chat("one"));
        archive.append(ALICE, Jid.of("carol@example.org"), Instant.now(), chat("refused"));
        archive.append(ALICE, BOB, Instant.now(), chat("two"));
        // the three share a batch unless 20 ms passed between them; the query below waits for them either way
        assertThat(archive.query(ALICE, ArchiveStore.Query.all(10)).orElseThrow().entries())
                .extracting(e -> e.stanza().child("body", "jabber:client").orElseThrow().text()).containsExactly("one", "two");
    }

    @Test
    void aBatchThatCannotBeWrittenFailsWhoeverWaitsToAcknowledge() throws Exception {
        refuseRowsUnless("owner <> 'alice@example.org'");
        archive.append(ALICE, BOB, Instant.now(), chat("refused"));
        CompletableFuture<Void> written = archive.written().toCompletableFuture();
        assertThatThrownBy(() -> written.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(RuntimeException.class);
        // and for a while after: a stream that asks later must not acknowledge either
        assertThat(archive.written().toCompletableFuture().isCompletedExceptionally()).isTrue();
    }
}
