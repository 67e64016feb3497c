/**
 * Console commands: a plugin adds commands to the SSH admin console by registering a service
 * annotated with {@link dev.strata.api.console.ConsoleCommand}.
 */
@Export
@Version("1.0.0")
package dev.strata.api.console;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
