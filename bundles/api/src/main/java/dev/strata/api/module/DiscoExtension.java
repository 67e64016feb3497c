package dev.strata.api.module;

import org.osgi.annotation.versioning.ConsumerType;

import dev.strata.api.xml.Element;

/**
 * Adds an extended information form (XEP-0128, e.g. XEP-0157 contact addresses) to the server's
 * disco#info while the service is registered.
 */
@ConsumerType
public interface DiscoExtension {
    /** A {@code jabber:x:data} form of type result with a hidden FORM_TYPE field. */
    Element form();
}
