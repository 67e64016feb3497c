package dev.strata.pubsub;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

import dev.strata.api.Jid;
import dev.strata.api.stanza.Iq;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.xml.Element;

/**
 * XEP-0060 publish-subscribe for every pubsub service of the server, each at its own address (a
 * domain such as {@code pubsub.example.org}, or an account's bare JID for XEP-0163 PEP), under the
 * policy of the {@link PubSubHost} that serves it. Nodes, items, subscriptions and affiliations are
 * stored in the server's SQL database before a request is answered. Every method may block on
 * storage: call it on a session's worker.
 */
@ProviderType
public interface PubSubEngine {
    String NS = "http://jabber.org/protocol/pubsub";
    String NS_OWNER = "http://jabber.org/protocol/pubsub#owner";
    String NS_EVENT = "http://jabber.org/protocol/pubsub#event";
    String NS_ERRORS = "http://jabber.org/protocol/pubsub#errors";

    /** What every pubsub service of the server does (XEP-0060 §10), for its disco#info. */
    List<String> FEATURES = List.of(NS, NS_OWNER, NS + "#access-authorize", NS + "#access-open", NS + "#access-presence",
            NS + "#access-roster", NS + "#access-whitelist", NS + "#config-node", NS + "#config-node-max", NS + "#create-and-configure",
            NS + "#create-nodes", NS + "#delete-items", NS + "#delete-nodes", NS + "#get-pending", NS + "#instant-nodes", NS + "#item-ids",
            NS + "#last-published", NS + "#manage-subscriptions", NS + "#member-affiliation", NS + "#meta-data", NS + "#modify-affiliations",
            NS + "#multi-items", NS + "#outcast-affiliation", NS + "#persistent-items", NS + "#publish", NS + "#publish-options",
            NS + "#publisher-affiliation", NS + "#publish-only-affiliation", NS + "#purge-nodes", NS + "#retract-items",
            NS + "#retrieve-affiliations", NS + "#retrieve-default", NS + "#retrieve-items", NS + "#retrieve-subscriptions",
            NS + "#subscribe", NS + "#subscription-options", NS + "#subscription-notifications", "http://jabber.org/protocol/rsm");

    /** A node as the console lists it. */
    record NodeSummary(String name, String accessModel, int items, int subscribers, List<Jid> owners) {
    }

    /** One stored item: its id, publisher and payload (null for a notification-only item). */
    record Item(String id, Jid publisher, Element payload) {
    }

    /**
     * Answers an IQ of the {@link #NS} or {@link #NS_OWNER} namespace to {@code service} from
     * {@code requester}: the payload of the result (null for an empty one).
     * @throws StanzaException with XEP-0060's condition and its {@code pubsub#errors} element
     */
    Element handle(Iq iq, Jid service, Jid requester) throws StanzaException;

    /** Whether a host serves {@code service} now. */
    boolean serves(Jid service);

    /** disco#info of one node (§5.4: identity {@code pubsub/leaf} and its meta-data), as {@code requester} may see it. */
    Element nodeInfo(Jid service, String node, Jid requester) throws StanzaException;

    /** disco#items of the service (its nodes, §5.2) or of a node (its item ids, §5.5), as {@code requester} may see them. */
    List<Element> discoItems(Jid service, String node, Jid requester) throws StanzaException;

    /** The newest item of each node of {@code service} that {@code requester} may read and that sends its last item on presence. */
    List<Notification> lastItems(Jid service, Jid requester);

    /** A node's newest item, sent as a notification message to a newly available resource (XEP-0163 §4.3.5). */
    record Notification(String node, Element event) {
    }

    /**
     * Publishes on the owner's behalf (XEP-0398, XEP-0411 conversions), with the checks and
     * notifications of §7.1; a node that does not exist yet is created with {@code newNode}'s
     * configuration ({@code pubsub#...} field to value) over the service's defaults.
     */
    void publish(Jid service, String node, String itemId, Element payload, Jid publisher, Map<String, String> newNode) throws StanzaException;

    /** Retracts on the owner's behalf, notifying subscribers; false when there was no such item. */
    boolean retract(Jid service, String node, String itemId) throws StanzaException;

    /** One item of a node, if the node and the item exist. */
    Optional<Item> item(Jid service, String node, String itemId);

    /** The items of a node, oldest first. */
    List<Item> items(Jid service, String node);

    /** The nodes of a service, by name. */
    List<NodeSummary> nodes(Jid service);

    /** Deletes every item of a node, notifying subscribers (§8.5); how many were deleted. */
    int purge(Jid service, String node) throws StanzaException;

    /** Deletes every node of a service and its items (an account being deleted), without notifying anyone. */
    void deleteService(Jid service);

    /**
     * A message to a service: an owner's answer to a subscription authorization request (§8.6,
     * {@code pubsub#subscribe_authorization}). False when it was not one.
     */
    boolean message(Jid service, Element message, Jid from) throws StanzaException;

    /** Removes {@code jid}'s subscriptions and affiliations on every service (that account is being deleted). */
    void forget(Jid jid);
}
