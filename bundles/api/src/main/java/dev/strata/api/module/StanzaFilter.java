package dev.strata.api.module;

import org.osgi.annotation.versioning.ConsumerType;

import dev.strata.api.stanza.StanzaContext;
import dev.strata.api.xml.Element;

/**
 * A filter at a named point ({@value #POINT} service property) that may change a stanza or drop
 * it, in the manner of ejabberd's {@code filter_packet} fold: the router runs every filter of the
 * point, highest {@code service.ranking} first, each on what the previous one returned. Filters run
 * on the sender's worker and may block on storage. A filter that throws fails closed: the stanza is
 * dropped and its sender gets {@code internal-server-error}.
 */
@ConsumerType
public interface StanzaFilter {
    /** The service property naming the point a filter runs at. */
    String POINT = "strata.filter";

    /** A stanza a client sent, 'from' stamped, before the outbound hooks and routing. */
    String OUTBOUND = "outbound";

    /**
     * A message, presence or IQ about to be delivered to a local account, once per stanza, after the
     * inbound hooks and before the RFC 6121 §8.5 choice of resources (MAM adds its
     * {@code <stanza-id/>} here).
     */
    String INBOUND = "inbound";

    /** The stanza to go on with (the same, or a changed copy), or null to drop it silently. */
    Element filter(Element stanza, StanzaContext context);
}
