package dev.strata.presence;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

import dev.strata.api.Jid;
import dev.strata.api.auth.AccountDeletion;
import dev.strata.api.roster.RosterItem;
import dev.strata.api.roster.Rosters;
import dev.strata.api.server.ServerInfo;
import dev.strata.api.stanza.Origin;
import dev.strata.api.stanza.Presence;
import dev.strata.api.stanza.Router;
import dev.strata.api.stanza.Session;
import dev.strata.api.stanza.SessionRegistry;
import dev.strata.api.storage.KeyValueStore;

/**
 * Before an account is deleted: its contacts see it go unavailable and unsubscribe both ways
 * (RFC 6121 §3.2, §3.3, as the account's own client would), and each local contact's roster loses
 * the item (a roster push with {@code subscription='remove'}); its requests waiting on others and
 * theirs waiting on it are dropped. Remote contacts get the presence stanzas. So whoever registers
 * the name next inherits no contact, no presence and no access to anyone's last activity.
 *
 * <p>Apart from {@link PresenceModule} and without a reference to the account store: the store
 * calls every {@link AccountDeletion}, and a cycle between the two would leave SCR to break it.
 */
@Component(service = AccountDeletion.class)
public final class DeletedAccountContacts implements AccountDeletion {
    private final KeyValueStore store;
    private final ServerInfo server;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile Rosters rosters;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile Router router;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile SessionRegistry sessions;

    @Activate
    public DeletedAccountContacts(@Reference KeyValueStore store, @Reference ServerInfo server) {
        this.store = store;
        this.server = server;
    }

    @Override
    public void deleting(Jid account) {
        Rosters r = rosters;
        Router rt = router;
        SessionRegistry registry = sessions;
        if (r == null || rt == null || registry == null) return; // the IM core is not running: nobody is told
        Origin origin = Origin.of(account, reply -> { }); // the account's server speaks for it; errors have nowhere to go
        Map<Jid, RosterItem> items = new LinkedHashMap<>();
        for (RosterItem item : r.items(account)) items.put(item.jid(), item);
        Set<Jid> contacts = new LinkedHashSet<>(items.keySet());
        Set<String> pendingIn = store.getAll(account, Rosters.PENDING_STORE).keySet();
        for (String requester : pendingIn) contacts.add(Jid.of(requester).bare());
        for (Jid contact : contacts) {
            RosterItem item = items.get(contact);
            boolean to = item != null && (item.subscription().to() || item.ask());
            boolean from = item != null && item.subscription().from() || pendingIn.contains(contact.toString());
            if (contact.local() == null || !server.hosts(contact.domain())) {
                if (to) rt.route(PresenceModule.presence(account, contact, "unsubscribe"), origin);
                if (from) rt.route(PresenceModule.presence(account, contact, "unsubscribed"), origin);
                continue;
            }
            if (item != null && item.subscription().from()) PresenceModule.unavailableTo(registry, rt, account, contact);
            store.delete(contact, Rosters.PENDING_STORE, account.toString());
            r.remove(contact, account);
            if (to) rt.deliver(PresenceModule.presence(account, contact, "unsubscribe"), origin);
            if (from) rt.deliver(PresenceModule.presence(account, contact, "unsubscribed"), origin);
        }
        // its sessions end next: unavailable went out above, so no hook records a last logout for a name that is going
        for (Session s : registry.sessions(account)) s.attribute(Presence.ATTRIBUTE, null);
    }
}
