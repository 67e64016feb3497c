package dev.strata.pubsub;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;

import org.osgi.annotation.versioning.ConsumerType;

import dev.strata.api.Jid;
import dev.strata.api.xml.Element;

/**
 * The policy of one kind of pubsub service, registered as a whiteboard service: the
 * {@link PubSubEngine} asks the host that {@link #serves} a service address. Calls come on the
 * requester's worker and, for {@link #interested}, while a node is held: they must be quick and
 * must not call back into the engine.
 */
@ConsumerType
public interface PubSubHost {
    /** Whether this host's policy covers the service at {@code service} (a domain, or an account's bare JID). */
    boolean serves(Jid service);

    /** Whether {@code requester} may create nodes on {@code service} (XEP-0060 §8.1.3 {@code forbidden} otherwise). */
    boolean mayCreate(Jid service, Jid requester);

    /**
     * Whose roster decides the presence and roster access models of a node (§4.5): the account for
     * PEP, the node's owners elsewhere ({@code owners}).
     */
    Set<Jid> rosterOwners(Jid service, Set<Jid> owners);

    /** Whether {@code requester} is an owner of every node of {@code service} (the account for PEP, the server's administrators). */
    boolean isServiceOwner(Jid service, Jid requester);

    /** Whether a publish to a node that does not exist creates it (XEP-0163's auto-create). */
    boolean autoCreate();

    /** The configuration of a new node where the requester gives none: {@code pubsub#...} field to value. */
    Map<String, String> defaults(Jid service, String node);

    /** The limits of this kind of service. */
    Limits limits();

    /**
     * Who else hears of a publish to {@code node} than its subscribers: for PEP, the full JIDs of
     * available contacts and own resources whose entity capabilities ask for {@code node+notify}
     * (XEP-0163 §4.3). {@code mayRead} tells whether a JID is allowed to by the node's access model.
     * Resources whose capabilities are still being asked for may be handed to {@code later} once
     * known (from any thread); the engine checks the access model again and sends them the same
     * notification.
     */
    default Collection<Jid> interested(Jid service, String node, Predicate<Jid> mayRead, Consumer<Collection<Jid>> later) {
        return List.of();
    }

    /** Extra payload checks of a node (XEP-0084 avatar metadata, say); a non-null answer refuses the publish with it as text. */
    default String refuse(Jid service, String node, Element payload) {
        return null;
    }

    /**
     * Limits of a service kind.
     * @param maxNodes most nodes on one service
     * @param maxItems most items one node keeps (a node's {@code max} means this)
     * @param maxPayload most bytes of one item's payload
     */
    record Limits(int maxNodes, int maxItems, int maxPayload) {
    }
}
