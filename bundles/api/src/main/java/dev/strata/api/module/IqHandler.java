package dev.strata.api.module;

import org.osgi.annotation.versioning.ConsumerType;

import dev.strata.api.stanza.Iq;
import dev.strata.api.stanza.Origin;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.xml.Element;

/**
 * Answers IQs of one namespace addressed to the server ({@code strata.iq.namespace},
 * {@code strata.iq.type} service properties, best declared with {@link IqRoute}). Runs on the
 * sender's ordered worker, so it may block on storage. The sender is usually a client
 * {@link dev.strata.api.stanza.Session}; a handler that keeps per-session state checks for one.
 */
@ConsumerType
public interface IqHandler {
    /** The payload of the result (null for an empty result), or a {@link StanzaException} for an error reply. */
    Element handle(Iq iq, Origin from) throws StanzaException;
}
