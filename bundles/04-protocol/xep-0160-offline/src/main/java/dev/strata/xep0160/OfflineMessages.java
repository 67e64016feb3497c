package dev.strata.xep0160;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.Jid;
import dev.strata.api.module.DiscoFeature;
import dev.strata.api.module.Hook;
import dev.strata.api.module.StanzaHook;
import dev.strata.api.stanza.Messages;
import dev.strata.api.stanza.Origin;
import dev.strata.api.stanza.Presence;
import dev.strata.api.stanza.Session;
import dev.strata.api.stanza.SessionRegistry;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.storage.DocumentTooLargeException;
import dev.strata.api.storage.KeyValueStore;
import dev.strata.api.stream.BindExtension;
import dev.strata.api.xml.Element;
import dev.strata.api.xml.XmlWriter;

/**
 * XEP-0160 1.0.1 offline messages: a normal or chat message for an account with no available
 * resource (RFC 6121 §8.5.2.2.1) is stored with a XEP-0203 delay stamp, up to a per-user limit of
 * messages and of characters (beyond it the sender gets {@code service-unavailable} saying so; a
 * message too large to store gets {@code policy-violation}), and delivered, oldest first, when the
 * account next sends available presence with a non-negative priority. Messages that are only chat
 * states or carry a XEP-0334 {@code <no-store/>} hint are not kept. The mailbox is measured without
 * reading it, and delivered a page at a time, so its cost does not grow with what it holds.
 */
@DiscoFeature(feature = OfflineMessages.FEATURE)
@Hook({StanzaHook.MESSAGE_OFFLINE, StanzaHook.PRESENCE_INITIAL})
@Component(name = "strata.xep0160", service = StanzaHook.class)
@Designate(ocd = OfflineMessages.Config.class)
public final class OfflineMessages implements StanzaHook {
    private static final Logger LOG = LoggerFactory.getLogger(OfflineMessages.class);
    static final String FEATURE = "msgoffline";
    static final String DELAY = Messages.DELAY;
    static final String HINTS = Messages.HINTS;
    static final String CHAT_STATES = "http://jabber.org/protocol/chatstates";
    static final String STANZA_ID = "urn:xmpp:sid:0";
    private static final String STORE = "offline";

    @ObjectClassDefinition(id = "strata.xep0160", name = "XEP-0160 offline messages")
    @interface Config {
        @AttributeDefinition(min = "0", description = "Most messages kept for one account; beyond it senders get service-unavailable")
        int max_messages() default 500;

        @AttributeDefinition(min = "0", description = "Most characters of XML kept for one account (all its messages together); beyond it senders get service-unavailable")
        long max_chars() default 10_000_000;
    }

    /** Messages read, sent and deleted together at delivery. */
    static final int PAGE = 50;

    private final KeyValueStore store;
    private final AtomicLong sequence = new AtomicLong();
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile SessionRegistry sessions;
    private static final long REPORT_EVERY_NANOS = 60_000_000_000L;
    /** Per full mailbox: when its refusal was last logged (nanoTime) and how many were refused since. */
    private final ConcurrentHashMap<Jid, long[]> fullReports = new ConcurrentHashMap<>();
    private volatile Config config;

    @Activate
    public OfflineMessages(Config config, @Reference KeyValueStore store) {
        this.config = config;
        this.store = store;
    }

    @Modified
    void modified(Config c) {
        config = c;
    }

    @Override
    public boolean handle(Element stanza, Origin session) {
        if (stanza.name().equals("presence")) return session instanceof Session s && deliver(s);
        return store(stanza, session);
    }

    /**
     * Logs a refusal for a full mailbox at most once a minute per mailbox, with how many were
     * refused since: a flood of refused messages must not become a flood of log lines.
     */
    private void reportFull(Jid to, KeyValueStore.Usage used, Origin sender) {
        long now = System.nanoTime();
        long[] r = fullReports.computeIfAbsent(to, k -> new long[] {now - REPORT_EVERY_NANOS, 0});
        long more;
        synchronized (r) {
            if (now - r[0] < REPORT_EVERY_NANOS) {
                r[1]++;
                return;
            }
            more = r[1];
            r[0] = now;
            r[1] = 0;
        }
        if (fullReports.size() > 10_000) fullReports.clear(); // a bound, not a cache: at worst some lines come sooner
        LOG.info("Offline storage of {} is full ({} messages, {} characters); message from {} refused{}", to, used.documents(), used.chars(),
                sender.jid(), more == 0 ? "" : " (and " + more + " more in the last minute)");
    }

    static boolean worthKeeping(Element message) {
        if (Messages.hint(message, "no-store") || Messages.hint(message, "no-permanent-store")) return false;
        if (Messages.hint(message, "store")) return true;
        return message.elements().anyMatch(e -> !e.namespace().equals(CHAT_STATES) && !e.namespace().equals(HINTS));
    }

    private boolean store(Element message, Origin sender) {
        if (!worthKeeping(message)) return true; // dropped quietly: nothing a later reader needs
        Jid to = Jid.of(message.attribute("to")).bare();
        Config c = config;
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        // a message this server stamped already (one a session never acknowledged, XEP-0198) keeps its first stamp
        Element stamped = Messages.delayed(message, to.domain(), now, "Offline Storage");
        long size = XmlWriter.toString(stamped, "").length();
        KeyValueStore.Usage used = store.usage(to, STORE); // counted, not read
        if (used.documents() >= c.max_messages() || used.chars() + size > c.max_chars()) {
            reportFull(to, used, sender);
            // no echo of the payload (optional, RFC 6120 §8.3.1): a sender flooding a full mailbox would get all of it back
            sender.send(StanzaError.SERVICE_UNAVAILABLE.replyTo(message, "The recipient is offline and their offline storage is full", false));
            return true;
        }
        // keys sort in arrival order: milliseconds, then a sequence for messages of the same millisecond
        String key = String.format("%015d-%09d", now.toEpochMilli(), sequence.incrementAndGet() % 1_000_000_000L);
        try {
            store.put(to, STORE, key, stamped);
            handToSessionThatCameOnline(to);
        } catch (DocumentTooLargeException e) {
            sender.send(StanzaError.POLICY_VIOLATION.replyTo(message, "The recipient is offline and the message is too large to keep for them ("
                    + e.chars() + " characters stored; at most " + e.limit() + ")", true));
        }
        return true;
    }

    /**
     * A message routed here while the account had no available resource may be stored just after
     * one came online and read its mailbox (its initial presence and this message crossed): that
     * session is given its mailbox again, on its worker, so the message does not wait for the next
     * login. The highest-priority available session takes it, as a message to the bare JID would.
     */
    private void handToSessionThatCameOnline(Jid account) {
        SessionRegistry reg = sessions;
        if (reg == null) return;
        // deliver refuses a negative priority, as at login
        reg.sessions(account).stream().filter(Presence::isAvailable).max(Comparator.comparingInt(Presence::priority))
                .ifPresent(x -> x.execute(() -> deliver(x)));
    }

    /** Does the stored message carry the stanza-id of {@code archive} (the account's), which the archive stamps on what it keeps? */
    static boolean inArchive(Element message, String archive) {
        return message.elements().anyMatch(e -> e.is("stanza-id", STANZA_ID) && archive.equals(e.attribute("by")));
    }

    /**
     * At initial presence with a non-negative priority: every stored message, oldest first, then
     * forgotten. A session that synchronises from the archive (it was given the archive's metadata
     * at Bind 2, XEP-0386 §3) is not sent those the archive holds (they carry the account's
     * XEP-0359 stanza-id): they are forgotten, the client fetches them from the archive; the
     * others (not archived, by the account's preferences) are delivered as to any session.
     */
    private boolean deliver(Session session) {
        if (Presence.priority(session) < 0) return false;
        Jid user = session.jid().bare();
        List<String> keys = store.keys(user, STORE);
        boolean fromArchive = Boolean.TRUE.equals(session.attribute(BindExtension.ARCHIVE_SYNC));
        String archive = user.toString();
        int delivered = 0, archived = 0;
        for (int from = 0; from < keys.size(); from += PAGE) {
            List<String> page = keys.subList(from, Math.min(keys.size(), from + PAGE));
            List<String> done = new ArrayList<>(page.size());
            for (String key : page) {
                if (!session.isOpen()) break; // kept for the next login
                Optional<Element> m = store.get(user, STORE, key);
                if (m.isEmpty()) continue; // an unreadable one stays, for the operator, and never blocks the rest
                if (fromArchive && inArchive(m.get(), archive)) {
                    archived++;
                } else {
                    session.send(m.get());
                    delivered++;
                }
                done.add(key);
            }
            store.delete(user, STORE, done);
            if (!session.isOpen()) return false;
        }
        if (delivered + archived > 0) {
            LOG.debug("Delivered {} offline messages to {}; {} left to its archive (Bind 2)", delivered, session.jid(), archived);
        }
        return false; // other hooks of the point still run
    }
}
