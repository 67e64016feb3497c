package dev.strata.xep0163;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.strata.api.Jid;
import dev.strata.api.auth.AccountDeletion;
import dev.strata.pubsub.PubSubEngine;

/** An account being deleted loses its PEP nodes and items. */
@Component(service = AccountDeletion.class)
public final class PepDeletion implements AccountDeletion {
    private final PubSubEngine engine;

    @Activate
    public PepDeletion(@Reference PubSubEngine engine) {
        this.engine = engine;
    }

    @Override
    public void deleting(Jid account) {
        engine.deleteService(account.bare());
    }
}
