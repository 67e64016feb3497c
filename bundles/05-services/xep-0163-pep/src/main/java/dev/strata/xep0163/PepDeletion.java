package dev.strata.xep0163;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

import dev.strata.api.Jid;
import dev.strata.api.auth.AccountDeletion;
import dev.strata.pubsub.LazyEngine;
import dev.strata.pubsub.PubSubEngine;

/**
 * An account being deleted loses its PEP nodes and items. The engine is looked up when an account
 * goes, not referenced: the account store binds every {@link AccountDeletion} while it starts, and
 * a reference would start the engine, the router and its handlers inside that (a cycle through
 * the router's account store; see AccountDeletion).
 */
@Component(service = AccountDeletion.class)
public final class PepDeletion implements AccountDeletion {
    private final LazyEngine engine;

    @Activate
    public PepDeletion(BundleContext context) {
        this.engine = new LazyEngine(context);
    }

    @Deactivate
    void deactivate() {
        engine.close();
    }

    @Override
    public void deleting(Jid account) {
        PubSubEngine e = engine.get();
        if (e != null) e.deleteService(account.bare());
    }
}
