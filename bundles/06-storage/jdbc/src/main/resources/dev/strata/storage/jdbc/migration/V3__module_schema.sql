-- The schema versions of modules that bring their own tables (SqlDatabase.migrate): one row per applied migration.
CREATE TABLE strata_module_schema (
    module      VARCHAR(100) NOT NULL,
    version     INTEGER      NOT NULL,
    description VARCHAR(200) NOT NULL,
    applied_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (module, version)
);
