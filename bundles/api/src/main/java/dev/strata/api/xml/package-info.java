/**
 * XML for XMPP: the immutable {@link dev.strata.api.xml.Element} tree, its serializer
 * {@link dev.strata.api.xml.XmlWriter}, {@link dev.strata.api.xml.Xml#parse} for documents held as
 * strings, and the stream events ({@link dev.strata.api.xml.XmlEvent}) the transport's streaming
 * reader reports. No parser library or network buffer appears here, so plugins bind to neither.
 */
@Export
@Version("2.2.0")
package dev.strata.api.xml;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
