package dev.strata.api.stream;

import org.osgi.annotation.versioning.ConsumerType;

import dev.strata.api.xml.Element;

/**
 * A {@link StreamFeature} that may also be negotiated inline, inside a XEP-0388 SASL2
 * {@code <authenticate/>} or a XEP-0386 Bind 2 {@code <bind/>}, so a client sets up its session in
 * one round trip. The stream layer lists the feature where {@link #inline} says, and hands each
 * element of the feature's namespace in the client's request to {@link StreamFeature#negotiate}
 * with a {@link Negotiation} whose {@link Negotiation#inline()} tells where it is: what the feature
 * {@link Negotiation#send sends} there is placed in the SASL2 {@code <success/>} or the Bind 2
 * {@code <bound/>}, and an answer given to {@link Negotiation#resume} or
 * {@link Negotiation#startCounting} is placed the same way, with the stanzas that follow it written
 * after the success. Unloading the module removes the feature from both lists.
 */
@ConsumerType
public interface InlineFeature extends StreamFeature {
    /** Where a feature is negotiated inline. */
    enum Where {
        /** In the SASL2 {@code <authenticate/>}, before resource binding (stream resumption, FAST). */
        SASL2,
        /** In the Bind 2 {@code <bind/>}, once the new session is bound (stream management, carbons, client state). */
        BIND2
    }

    /**
     * The element listing this feature there: for {@link Where#SASL2} the child of SASL2's
     * {@code <inline/>} as the client sees it (such as {@code <sm xmlns='urn:xmpp:sm:3'/>}); for
     * {@link Where#BIND2} any element, listed as {@code <feature var='namespace'/>} with this
     * feature's namespace. Null: not offered there on this stream.
     */
    Element inline(Where where, Negotiation negotiation);
}
