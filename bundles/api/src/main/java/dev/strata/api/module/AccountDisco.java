package dev.strata.api.module;

import java.util.List;

import org.osgi.annotation.versioning.ConsumerType;

import dev.strata.api.Jid;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.xml.Element;

/**
 * What a module adds to XEP-0030 queries the server answers for an account's bare JID (XEP-0163
 * PEP: the {@code pubsub/pep} identity, its nodes as items, each node's info). Registered as a
 * whiteboard service; the disco module asks every registered one. Runs on the requester's worker.
 */
@ConsumerType
public interface AccountDisco {
    /** Identities the account shows besides {@code account/registered}: {@code <identity/>} elements in the disco#info namespace. */
    default List<Element> identities(Jid account) {
        return List.of();
    }

    /**
     * The {@code <item/>} elements of disco#items to the account ({@code node} null: the top level),
     * as {@code requester} may see them; null when this module knows no such node.
     */
    List<Element> items(Jid account, String node, Jid requester) throws StanzaException;

    /** The disco#info {@code <query/>} of one node of the account; null when this module knows no such node. */
    Element info(Jid account, String node, Jid requester) throws StanzaException;
}
