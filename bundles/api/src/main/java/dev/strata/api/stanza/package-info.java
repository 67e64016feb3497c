/**
 * Stanzas (RFC 6120 §8): the {@link dev.strata.api.stanza.Iq} view, stanza and stream error
 * conditions, and the {@link dev.strata.api.stanza.Session} a stanza comes from.
 */
@Export
@Version("2.4.0")
package dev.strata.api.stanza;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
