package dev.strata.pubsub;

import org.osgi.annotation.versioning.ConsumerType;

import dev.strata.api.Jid;
import dev.strata.api.xml.Element;

/**
 * Told of every item published or retracted on any pubsub service of the server, as a whiteboard
 * service: the XEP-0398 avatar and XEP-0411 bookmark conversions follow the nodes they mirror. Runs
 * on the publisher's thread while the service is held, after the change is stored: it may call the
 * {@link PubSubEngine} for the same service (the call re-enters), should be quick, and an exception
 * is logged and changes nothing.
 */
@ConsumerType
public interface PubSubListener {
    /**
     * An item of {@code node} on {@code service} was published ({@code payload} its payload, or null
     * for a notification-only item) or retracted ({@code retracted} true, {@code payload} null).
     */
    void changed(Jid service, String node, String itemId, Element payload, boolean retracted, Jid by);
}
