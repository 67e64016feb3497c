/**
 * HTTP endpoints of modules and plugins on the server's HTTP listeners (5280, and 5281 with TLS):
 * register an {@link dev.strata.api.http.HttpEndpoint} with the path it serves, and the transport
 * hands it every request under that path, with the listeners' limits, security headers and access
 * log.
 */
@Export
@Version("1.1.0")
package dev.strata.api.http;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
