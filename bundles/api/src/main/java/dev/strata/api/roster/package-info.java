/**
 * Rosters (RFC 6121 §2) as the roster module keeps them: {@link dev.strata.api.roster.Rosters} for
 * the modules that change subscription states.
 */
@Export
@Version("1.2.0")
package dev.strata.api.roster;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
