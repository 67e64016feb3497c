/**
 * XML for XMPP streams: the immutable {@link dev.strata.api.xml.Element} tree, its serializer
 * {@link dev.strata.api.xml.XmlWriter}, and the non-blocking {@link dev.strata.api.xml.XmlStreamReader}
 * that turns bytes, fed in any chunks, into stream events and top-level elements.
 */
@Export
@Version("1.1.0")
package dev.strata.api.xml;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
