/**
 * Strata's core API: addresses ({@link dev.strata.api.Jid}) and the types every module shares.
 */
@Export
@Version("1.1.0")
package dev.strata.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
