package dev.strata.api.auth;

import org.osgi.annotation.versioning.ConsumerType;

import dev.strata.api.Jid;

/**
 * Told when an account is about to be deleted, while everything stored for it is still there, so a
 * module can undo what the account left with others (its subscriptions in contacts' rosters, its
 * sessions, its room affiliations) and delete what the module keeps in tables of its own. The
 * name must not inherit anything: whoever registers it next starts with nothing.
 *
 * <p>Registered as a whiteboard service. The {@link AccountStore} calls every registered one on
 * the deleting thread, in service ranking order, before it deletes the account's credentials and
 * its key-value documents; an exception is logged and the deletion goes on. Calls for one account
 * happen once per deletion; an implementation must not call back into {@link AccountStore#delete}.
 * Nor may the component reference {@link AccountStore} itself: the store references every
 * {@code AccountDeletion}, and with that cycle Felix SCR can hand out an instance whose other
 * dynamic references were never bound (seen as a presence module that silently did nothing).
 * Keep the deletion work in a component of its own, and let it reference nothing that reaches the
 * router (directly or through a service that references it): the store binds every deletion while
 * it starts, and a reference would start those services inside that, where Felix SCR skips the
 * circular bindings and may never make them (seen as the roster's IQs answered
 * {@code service-unavailable}). Look such a service up when an account goes instead.
 */
@ConsumerType
public interface AccountDeletion {
    /** {@code account} (a bare JID that exists now) is being deleted. */
    void deleting(Jid account);
}
