package dev.strata.xep0060;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

import dev.strata.api.Jid;
import dev.strata.api.auth.AccountDeletion;

/**
 * An account being deleted loses its subscriptions and affiliations on every pubsub service of the
 * server. The engine is looked up when an account goes, not referenced: the account store binds
 * every {@link AccountDeletion} while it starts, and a reference would start the engine and the
 * router inside that (a cycle through the router's account store; see AccountDeletion).
 */
@Component(service = AccountDeletion.class)
public final class ForgetDeletedAccounts implements AccountDeletion {
    private final BundleContext context;

    @Activate
    public ForgetDeletedAccounts(BundleContext context) {
        this.context = context;
    }

    @Override
    public void deleting(Jid account) {
        var ref = context.getServiceReference(dev.strata.pubsub.PubSubEngine.class);
        if (ref == null) return;
        var engine = context.getService(ref);
        try {
            if (engine != null) engine.forget(account.bare());
        } finally {
            context.ungetService(ref);
        }
    }
}
