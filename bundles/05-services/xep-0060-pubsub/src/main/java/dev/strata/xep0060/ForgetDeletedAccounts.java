package dev.strata.xep0060;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

import dev.strata.api.Jid;
import dev.strata.api.auth.AccountDeletion;
import dev.strata.pubsub.LazyEngine;
import dev.strata.pubsub.PubSubEngine;

/**
 * An account being deleted loses its own service (its PEP nodes and items, XEP-0163 §5) and its
 * subscriptions and affiliations on every other pubsub service of the server. The engine is looked up when an account goes, not referenced: the account store binds
 * every {@link AccountDeletion} while it starts, and a reference would start the engine and the
 * router inside that (a cycle through the router's account store; see AccountDeletion).
 */
@Component(service = AccountDeletion.class)
public final class ForgetDeletedAccounts implements AccountDeletion {
    private final LazyEngine engine;

    @Activate
    public ForgetDeletedAccounts(BundleContext context) {
        this.engine = new LazyEngine(context);
    }

    @Deactivate
    void deactivate() {
        engine.close();
    }

    @Override
    public void deleting(Jid account) {
        PubSubEngine e = engine.get();
        if (e == null) return;
        e.deleteService(account.bare());
        e.forget(account.bare());
    }
}
