package dev.strata.api.module;

import org.osgi.annotation.versioning.ConsumerType;

import dev.strata.api.stanza.Session;
import dev.strata.api.stanza.StanzaContext;
import dev.strata.api.xml.Element;

/**
 * Told of each stanza the router handed to a local session, with the session that got it: message
 * carbons copy to the other resources, push notifies the ones that sleep, counters count. Runs on
 * the sender's worker, after the session took the stanza; it must not block for long. An exception
 * is logged and changes nothing (the stanza is delivered already).
 */
@ConsumerType
public interface DeliveryListener {
    void delivered(Element stanza, Session target, StanzaContext context);
}
