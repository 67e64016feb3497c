/**
 * Storage that modules use instead of SQL (STYLE principle 9): per-user key-value documents.
 * The storage bundle implements it on H2 or PostgreSQL and owns the schema.
 */
@Export
@Version("1.0.0")
package dev.strata.api.storage;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
