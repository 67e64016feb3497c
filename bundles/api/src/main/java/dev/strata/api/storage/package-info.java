/**
 * Storage for modules: per-user key-value documents ({@link dev.strata.api.storage.KeyValueStore}),
 * and for modules with tables of their own, the SQL database with per-module migrations
 * ({@link dev.strata.api.storage.SqlDatabase}). The storage bundle implements both on H2 or
 * PostgreSQL. Failures are {@link dev.strata.api.storage.StorageException}s, never mistaken for
 * "not found" or "exists".
 */
@Export
@Version("1.8.0")
package dev.strata.api.storage;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
