package dev.strata.router.internal;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.strata.api.Jid;
import dev.strata.api.auth.AccountDeletion;
import dev.strata.api.stanza.Session;
import dev.strata.api.stanza.SessionRegistry;
import dev.strata.api.stanza.StreamError;

/**
 * Every session of a deleted account ends with {@code not-authorized}, however the account was
 * deleted (in band, by an administrator's ad-hoc command, from the console). Each close is queued
 * on its session's worker, so a session that asked for its own deletion gets its IQ result first.
 */
@Component(service = AccountDeletion.class)
public final class DeletedAccountSessions implements AccountDeletion {
    private final SessionRegistry sessions;

    @Activate
    public DeletedAccountSessions(@Reference SessionRegistry sessions) {
        this.sessions = sessions;
    }

    @Override
    public void deleting(Jid account) {
        for (Session s : sessions.sessions(account)) s.close(StreamError.NOT_AUTHORIZED, "The account was deleted");
    }
}
