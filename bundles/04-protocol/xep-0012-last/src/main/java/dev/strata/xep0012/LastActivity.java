package dev.strata.xep0012;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.Jid;
import dev.strata.api.module.DiscoFeature;
import dev.strata.api.module.Hook;
import dev.strata.api.module.IqHandler;
import dev.strata.api.module.IqRoute;
import dev.strata.api.module.StanzaHook;
import dev.strata.api.roster.Rosters;
import dev.strata.api.stanza.Iq;
import dev.strata.api.stanza.Origin;
import dev.strata.api.stanza.Presence;
import dev.strata.api.stanza.SessionRegistry;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.storage.KeyValueStore;
import dev.strata.api.xml.Element;

/**
 * XEP-0012 Last Activity 2.0. Asked of the server (§5): the seconds since it started. Asked of an
 * account's bare JID (§4), by the account itself or a contact subscribed to its presence (others
 * get {@code forbidden}): 0 while it has an available resource, else the seconds since its last
 * resource went unavailable, with that presence's status; {@code item-not-found} when it never
 * logged out since this module was loaded. The logout time is recorded through the
 * {@code presence/last-unavailable} hook, and written behind: logouts are gathered and stored
 * together once a second (one commit for all, the latest per account), so a logout costs no
 * database write of its own; answers read what waits first. A crash loses at most the last
 * second's logout times (nothing a client was told was stored).
 */
@IqRoute(namespace = LastActivity.NS, type = "get")
@DiscoFeature(feature = LastActivity.NS)
@Hook(StanzaHook.PRESENCE_LAST_UNAVAILABLE)
@Component(service = {IqHandler.class, StanzaHook.class})
public final class LastActivity implements IqHandler, StanzaHook {
    static final String NS = "jabber:iq:last";
    private static final String STORE = "last";

    private static final Logger LOG = LoggerFactory.getLogger(LastActivity.class);
    private static final String KEY = "logout";
    /** How often waiting logout times are written. */
    static final long FLUSH_MILLIS = 1000;

    private final KeyValueStore store;
    /** Logout times not written yet, the latest per account. */
    private final ConcurrentHashMap<Jid, Element> pending = new ConcurrentHashMap<>();
    private final ScheduledExecutorService writer = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().name("last-activity").daemon().unstarted(r));

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile SessionRegistry sessions;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile Rosters rosters;

    @Activate
    public LastActivity(@Reference KeyValueStore store) {
        this.store = store;
        writer.scheduleWithFixedDelay(this::flush, FLUSH_MILLIS, FLUSH_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** Writes what waits before the module goes (a reload or a shutdown loses nothing). */
    @Deactivate
    void deactivate() throws InterruptedException {
        writer.shutdown();
        writer.awaitTermination(10, TimeUnit.SECONDS);
        flush();
    }

    @Override
    public boolean handle(Element unavailable, Origin session) {
        Element.Builder b = Element.builder("last", NS).attribute("at", Instant.now().toString());
        unavailable.child("status", unavailable.namespace()).ifPresent(s -> b.text(s.text()));
        pending.put(session.jid().bare(), b.build());
        return false;
    }

    /** Stores the waiting logout times in one go; what fails is kept for the next try unless a newer one came. */
    void flush() {
        if (pending.isEmpty()) return;
        Map<Jid, Element> batch = new HashMap<>(pending);
        try {
            store.putEach(STORE, KEY, batch);
            batch.forEach(pending::remove); // only where nothing newer arrived meanwhile
        } catch (RuntimeException e) {
            LOG.warn("Could not store {} logout times; trying again in {} ms: {}", batch.size(), FLUSH_MILLIS, e.toString());
        }
    }

    @Override
    public Element handle(Iq iq, Origin from) throws StanzaException {
        Jid account = iq.to().local() == null ? null : iq.to().bare();
        if (account == null) {
            long seconds = ManagementFactory.getRuntimeMXBean().getUptime() / 1000;
            return Element.builder("query", NS).attribute("seconds", Long.toString(seconds)).build();
        }
        Rosters r = rosters;
        boolean allowed = account.equals(from.jid().bare())
                || (r != null && r.item(account, from.jid()).map(i -> i.subscription().from()).orElse(false));
        if (!allowed) throw new StanzaException(StanzaError.FORBIDDEN, "Only contacts subscribed to this account's presence may ask (XEP-0012 §4)");
        SessionRegistry reg = sessions;
        if (reg != null && reg.sessions(account).stream().anyMatch(Presence::isAvailable)) {
            return Element.builder("query", NS).attribute("seconds", "0").build();
        }
        Element waiting = pending.get(account);
        Element last = (waiting != null ? Optional.of(waiting) : store.get(account, STORE, KEY))
                .orElseThrow(() -> new StanzaException(StanzaError.ITEM_NOT_FOUND, "No logout recorded for this account"));
        long seconds = Math.max(0, Duration.between(Instant.parse(last.attribute("at")), Instant.now()).toSeconds());
        Element.Builder q = Element.builder("query", NS).attribute("seconds", Long.toString(seconds));
        if (!last.text().isEmpty()) q.text(last.text());
        return q.build();
    }
}
