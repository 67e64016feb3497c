/**
 * The server's metrics, exported at {@code /metrics} by the metrics module in the Prometheus text
 * and OpenMetrics formats: a module records into a {@link dev.strata.api.metrics.Metrics} service
 * while one is registered.
 */
@Export
@Version("1.1.0")
package dev.strata.api.metrics;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
