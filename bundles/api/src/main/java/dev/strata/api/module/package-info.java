/**
 * What a protocol module registers: {@link dev.strata.api.module.IqHandler} services declared with
 * {@link dev.strata.api.module.IqRoute}, and disco features with {@link dev.strata.api.module.DiscoFeature}.
 * The core discovers them as they come and go.
 */
@Export
@Version("2.4.0")
package dev.strata.api.module;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
