/**
 * Authentication data: SCRAM credentials (RFC 5802, RFC 7677) and the store of accounts.
 * No plaintext password is ever stored: only salt, iteration count, StoredKey and ServerKey.
 */
@Export
@Version("1.5.0")
package dev.strata.api.auth;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
