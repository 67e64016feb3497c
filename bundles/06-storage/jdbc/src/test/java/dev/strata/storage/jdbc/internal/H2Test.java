package dev.strata.storage.jdbc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.sql.Connection;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class H2Test {
    @Test
    void theServersPageSizeGoesIntoEveryUrlThatDoesNotSetItsOwn() {
        assertEquals("jdbc:h2:file:/d/db/strata;PAGE_SIZE=4096", H2.withPageSize("jdbc:h2:file:/d/db/strata"));
        assertEquals("jdbc:h2:file:/d/db/strata;page_size=16384", H2.withPageSize("jdbc:h2:file:/d/db/strata;page_size=16384"));
    }

    @Test
    void theDatabaseSplitsItsPagesAtThatSize(@TempDir Path dir) throws Exception {
        try (Connection c = H2.dataSource(H2.defaultUrl(dir), "sa", "").getConnection()) {
            assertEquals(H2.PAGE_SIZE, H2.mvStore(c).getMaxPageSize());
        }
    }
}
