package dev.strata.xep0163;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

import dev.strata.api.Jid;
import dev.strata.api.auth.AccountDeletion;
import dev.strata.pubsub.PubSubEngine;

/**
 * An account being deleted loses its PEP nodes and items. The engine is looked up when an account
 * goes, not referenced: the account store binds every {@link AccountDeletion} while it starts, and
 * a reference would start the engine, the router and its handlers inside that (a cycle through
 * the router's account store; see AccountDeletion).
 */
@Component(service = AccountDeletion.class)
public final class PepDeletion implements AccountDeletion {
    private final BundleContext context;

    @Activate
    public PepDeletion(BundleContext context) {
        this.context = context;
    }

    @Override
    public void deleting(Jid account) {
        withEngine(context, e -> e.deleteService(account.bare()));
    }

    /** Runs {@code work} with the engine registered now, if any. */
    static void withEngine(BundleContext context, java.util.function.Consumer<PubSubEngine> work) {
        ServiceReference<PubSubEngine> ref = context.getServiceReference(PubSubEngine.class);
        if (ref == null) return;
        PubSubEngine engine = context.getService(ref);
        try {
            if (engine != null) work.accept(engine);
        } finally {
            context.ungetService(ref);
        }
    }
}
