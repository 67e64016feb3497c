/** The server as a whole: its domains, environment and administrators. */
@Export
@Version("1.0.0")
package dev.strata.api.server;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
