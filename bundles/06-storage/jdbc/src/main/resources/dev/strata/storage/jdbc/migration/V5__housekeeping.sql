-- One row the embedded H2's file housekeeping updates, so that a new chunk ends up at the end of the file.
CREATE TABLE strata_housekeeping (
    id           INTEGER PRIMARY KEY,
    compacted_at TIMESTAMP WITH TIME ZONE
);
INSERT INTO strata_housekeeping (id, compacted_at) VALUES (1, NULL);
