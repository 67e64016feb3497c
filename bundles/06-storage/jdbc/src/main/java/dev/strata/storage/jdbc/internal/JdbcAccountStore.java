package dev.strata.storage.jdbc.internal;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.FieldOption;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.Jid;
import dev.strata.api.auth.AccountDeletion;
import dev.strata.api.auth.AccountStore;
import dev.strata.api.auth.ScramCredential;
import dev.strata.api.auth.ScramHash;

/** {@link AccountStore} on the JDBC database; changes are logged (never a password) and posted to Event Admin. */
@Component(service = AccountStore.class, property = "strata.store=jdbc")
public final class JdbcAccountStore implements AccountStore {
    private static final Logger LOG = LoggerFactory.getLogger(JdbcAccountStore.class);

    private final Accounts accounts;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile EventAdmin events;

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, fieldOption = FieldOption.REPLACE)
    private volatile List<AccountDeletion> deletions = List.of();

    @Activate
    public JdbcAccountStore(@Reference Database database) {
        this.accounts = new Accounts(database.transactions(), database.scramIterations());
    }

    private void post(String topic, Jid user) {
        EventAdmin ea = events;
        if (ea != null) ea.postEvent(new Event("strata/account/" + topic, Map.of("jid", user.toString())));
    }

    @Override
    public void create(Jid user, String password) {
        accounts.create(user, password);
        LOG.info("Account {} created", user);
        post("CREATED", user);
    }

    @Override
    public void changePassword(Jid user, String password) {
        accounts.changePassword(user, password);
        LOG.info("Password of {} changed", user);
        post("PASSWORD_CHANGED", user);
    }

    @Override
    public boolean delete(Jid user) {
        if (!accounts.exists(user)) return false;
        for (AccountDeletion d : deletions) {
            try {
                d.deleting(user);
            } catch (RuntimeException e) {
                LOG.error("Deleting {}: {} failed; the account is deleted all the same", user, d.getClass().getName(), e);
            }
        }
        boolean deleted = accounts.delete(user);
        if (deleted) {
            LOG.info("Account {} deleted", user);
            post("DELETED", user);
        }
        return deleted;
    }

    @Override
    public boolean exists(Jid user) {
        return accounts.exists(user);
    }

    @Override
    public Optional<ScramCredential> credential(Jid user, ScramHash hash) {
        return accounts.credential(user, hash);
    }

    @Override
    public List<Jid> list(String domain) {
        return accounts.list(domain);
    }
}
