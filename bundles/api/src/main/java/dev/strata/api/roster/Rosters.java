package dev.strata.api.roster;

import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

import org.osgi.annotation.versioning.ProviderType;

import dev.strata.api.Jid;

/**
 * The rosters of local accounts, for the modules that act on subscriptions (presence, blocking).
 * Every change is stored, bumps the roster version and is pushed to the account's interested
 * resources (RFC 6121 §2.1.6).
 */
@ProviderType
public interface Rosters {
    /**
     * The key-value store (per user, keyed by the contact's bare JID) of pending inbound
     * subscription requests (RFC 6121 §3.1.3), kept by the presence module.
     */
    String PENDING_STORE = "roster-pending";

    Optional<RosterItem> item(Jid user, Jid contact);

    List<RosterItem> items(Jid user);

    /**
     * Changes one item atomically: {@code change} gets the current item (or null) and returns the
     * new one, or the same one (or null) to change nothing. Returns the item as it is afterwards.
     *
     * @throws RosterFullException when the change would add an item to a full roster; nothing changes
     */
    Optional<RosterItem> update(Jid user, Jid contact, UnaryOperator<RosterItem> change);

    /**
     * Removes one item, pushed as {@code subscription='remove'}, without routing anything (the
     * caller decides what the contact is told). Returns the removed item, or empty when there was none.
     */
    Optional<RosterItem> remove(Jid user, Jid contact);
}
