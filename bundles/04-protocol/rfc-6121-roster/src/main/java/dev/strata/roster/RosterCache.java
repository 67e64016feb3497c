package dev.strata.roster;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.osgi.service.component.annotations.Component;

import dev.strata.api.Jid;
import dev.strata.api.auth.AccountDeletion;
import dev.strata.api.roster.RosterItem;

/**
 * Rosters read lately, parsed: modules that read a whole roster per stanza (presence broadcast, PEP
 * notifications, the archive's "roster" policy) parse it once per change and read no storage for
 * it. {@link Roster}, the roster store's only writer, drops an entry after every change it writes;
 * this component drops it when the account is deleted. A read that raced with a change is not
 * kept: every drop moves an epoch, and an entry read under an older epoch is refused. A component
 * of its own, referencing nothing: the account store calls every {@link AccountDeletion}, and one
 * that needs the router or the sessions would make a cycle with the store (see AccountDeletion).
 */
@Component(service = {RosterCache.class, AccountDeletion.class})
public final class RosterCache implements AccountDeletion {
    private static final int MAX_CACHED = 10_000;

    private final Map<Jid, List<RosterItem>> cache = new ConcurrentHashMap<>();
    private final AtomicLong epoch = new AtomicLong();

    /** The roster of {@code user} as cached, or null. */
    List<RosterItem> get(Jid user) {
        return cache.get(user);
    }

    /** Taken before reading a roster from the store, and handed to {@link #put}. */
    long epoch() {
        return epoch.get();
    }

    /** Keeps {@code items}, read from the store since {@code readAt}, unless a change was dropped meanwhile. */
    void put(Jid user, long readAt, List<RosterItem> items) {
        if (epoch.get() != readAt) return;
        if (cache.size() >= MAX_CACHED) cache.clear();
        cache.put(user, items);
        if (epoch.get() != readAt) cache.remove(user); // a drop came between the check and the put
    }

    /** After a change to the roster is written (the store holds the new state). */
    void drop(Jid user) {
        epoch.incrementAndGet();
        cache.remove(user);
    }

    @Override
    public void deleting(Jid account) {
        drop(account.bare());
    }
}
