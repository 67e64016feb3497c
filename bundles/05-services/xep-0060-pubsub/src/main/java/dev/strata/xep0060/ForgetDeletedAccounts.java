package dev.strata.xep0060;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.strata.api.Jid;
import dev.strata.api.auth.AccountDeletion;
import dev.strata.pubsub.PubSubEngine;

/** An account being deleted loses its subscriptions and affiliations on every pubsub service of the server. */
@Component(service = AccountDeletion.class)
public final class ForgetDeletedAccounts implements AccountDeletion {
    private final PubSubEngine engine;

    @Activate
    public ForgetDeletedAccounts(@Reference PubSubEngine engine) {
        this.engine = engine;
    }

    @Override
    public void deleting(Jid account) {
        engine.forget(account.bare());
    }
}
