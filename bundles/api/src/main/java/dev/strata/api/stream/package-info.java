/**
 * Stream features (RFC 6120 §4.3): modules offer features in {@code <stream:features/>} and
 * negotiate them by registering {@link dev.strata.api.stream.StreamFeature} services.
 */
@Export
@Version("1.5.0")
package dev.strata.api.stream;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
