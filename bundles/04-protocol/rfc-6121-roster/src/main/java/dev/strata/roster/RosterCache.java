package dev.strata.roster;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.service.component.annotations.Component;

import dev.strata.api.Jid;
import dev.strata.api.auth.AccountDeletion;
import dev.strata.api.roster.RosterItem;

/**
 * Rosters read lately, parsed, with the roster version they were read at: modules that read a
 * whole roster per stanza (presence broadcast, PEP notifications) parse it once per change, not
 * once per read. {@link Roster} checks an entry against the stored version on every read and
 * drops it at every change; this component drops it when the account is deleted. A component of
 * its own, referencing nothing: the account store calls every {@link AccountDeletion}, and one
 * that needs the router or the sessions would make a cycle with the store (see AccountDeletion).
 */
@Component(service = {RosterCache.class, AccountDeletion.class})
public final class RosterCache implements AccountDeletion {
    private static final int MAX_CACHED = 10_000;

    private record Cached(String version, List<RosterItem> items) {
    }

    private final Map<Jid, Cached> cache = new ConcurrentHashMap<>();

    /** The roster of {@code user} as cached at {@code version}, or null. */
    List<RosterItem> get(Jid user, String version) {
        Cached c = cache.get(user);
        return c != null && c.version().equals(version) ? c.items() : null;
    }

    void put(Jid user, String version, List<RosterItem> items) {
        if (cache.size() >= MAX_CACHED) cache.clear();
        cache.put(user, new Cached(version, items));
    }

    void drop(Jid user) {
        cache.remove(user);
    }

    @Override
    public void deleting(Jid account) {
        cache.remove(account.bare());
    }
}
