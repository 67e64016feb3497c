package dev.strata.api.stream;

import org.osgi.annotation.versioning.ConsumerType;

import dev.strata.api.xml.Element;

/**
 * A stream feature a module contributes to client stream negotiation, registered with the service
 * property {@value #NAMESPACE} naming the namespace of the negotiation elements it handles (best
 * declared with {@link Feature}). SASL and resource binding are features too. Features run on the
 * stream's worker, in order, and may block.
 */
@ConsumerType
public interface StreamFeature {
    String NAMESPACE = "strata.stream.feature.namespace";

    /**
     * Service property: the payload namespaces of IQs this feature answers while no resource is bound
     * (in-band registration before authentication, over TLS; resource binding after it); such IQs
     * go to {@link #negotiate} instead of being refused or routed.
     */
    String PRE_AUTH_IQ = "strata.stream.feature.iq";

    /** Where in the negotiation features are being offered. */
    enum Stage {
        /** After TLS, before SASL. */
        BEFORE_AUTH,
        /** After SASL, before resource binding. */
        AFTER_AUTH
    }

    /** The element to add to {@code <stream:features/>} at this stage, or null to offer nothing. */
    Element offer(Stage stage, Negotiation negotiation);

    /** A top-level element in this feature's namespace, sent by the client. */
    void negotiate(Element element, Negotiation negotiation);
}
