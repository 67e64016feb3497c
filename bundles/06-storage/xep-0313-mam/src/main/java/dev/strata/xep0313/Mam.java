package dev.strata.xep0313;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.Jid;
import dev.strata.api.auth.AccountDeletion;
import dev.strata.api.module.DiscoFeature;
import dev.strata.api.module.Filter;
import dev.strata.api.module.Hook;
import dev.strata.api.module.IqHandler;
import dev.strata.api.module.IqRoute;
import dev.strata.api.module.StanzaFilter;
import dev.strata.api.module.StanzaHook;
import dev.strata.api.roster.Rosters;
import dev.strata.api.server.ServerInfo;
import dev.strata.api.stanza.Iq;
import dev.strata.api.stanza.Messages;
import dev.strata.api.stanza.Origin;
import dev.strata.api.stanza.Session;
import dev.strata.api.stanza.StanzaContext;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.storage.ArchiveStore;
import dev.strata.api.storage.KeyValueStore;
import dev.strata.api.storage.MamQuery;
import dev.strata.api.stream.BindExtension;
import dev.strata.api.stream.StreamAcks;
import dev.strata.api.xml.Element;

/**
 * XEP-0313 Message Archive Management 1.1 ({@code urn:xmpp:mam:2} and {@code #extended}) for
 * accounts: a message an account sends or receives (chat or normal, with a body or an encrypted
 * payload; never groupchat, headline, error or a XEP-0334 {@code no-store}/{@code no-permanent-store}
 * one) goes into its archive when its preferences say so (always, never, or roster: only with
 * contacts in its roster; the {@code default.policy} until it sets its own), and a received one
 * carries a XEP-0359 {@code <stanza-id by='account'/>} (any such element from elsewhere is removed).
 * Queries filter by {@code with}, {@code start}, {@code end}, {@code before-id}, {@code after-id}
 * and {@code ids}, page with XEP-0059 (at most {@code max.page.size}; {@code <before/>} for the
 * newest page; {@code <flip-page/>}), and read one index range a page. Archives are deleted with
 * their account; {@code expire.after} deletes old entries hourly.
 */
@IqRoute(namespace = Mam.NS, target = IqRoute.To.SELF)
@DiscoFeature(feature = Mam.SID, account = {Mam.NS, Mam.EXTENDED})
@Hook(StanzaHook.OUTBOUND)
@Filter(StanzaFilter.INBOUND)
@Component(name = "strata.xep0313", service = {IqHandler.class, StanzaHook.class, StanzaFilter.class, AccountDeletion.class, BindExtension.class})
@Designate(ocd = Mam.Config.class)
public final class Mam implements IqHandler, StanzaHook, StanzaFilter, AccountDeletion, BindExtension {
    static final String NS = MamQuery.NS;
    static final String EXTENDED = MamQuery.EXTENDED;
    static final String SID = MamQuery.SID;
    static final String HINTS = Messages.HINTS;
    static final String CLIENT = "jabber:client";
    private static final String PREFS_STORE = "mam";
    private static final String PREFS_KEY = "prefs";
    private static final Logger LOG = LoggerFactory.getLogger(Mam.class);

    @ObjectClassDefinition(id = "strata.xep0313", name = "XEP-0313 Message Archive Management")
    @interface Config {
        @AttributeDefinition(description = "What is archived for an account that has not set its own preferences",
                options = {@Option(value = "roster", label = "roster"), @Option(value = "always", label = "always"), @Option(value = "never", label = "never")})
        String default_policy() default "roster";

        @AttributeDefinition(min = "1", max = "10000", description = "Messages in a page when a query does not ask for a number")
        int page_size() default 50;

        @AttributeDefinition(min = "1", max = "10000", description = "Most messages in one page; a query asking for more gets this many")
        int max_page_size() default 250;

        @AttributeDefinition(description = "How long messages are kept: 'never' (forever), or a number of days or hours such as 365d or 72h")
        String expire_after() default "never";
    }

    /** An account's preferences (XEP-0313 §6): the default, and JIDs always or never archived. */
    record Prefs(String policy, Set<Jid> always, Set<Jid> never) {
    }

    private final ArchiveStore archive;
    private final KeyValueStore store;
    private volatile Config config;
    private volatile Duration expireAfter;
    /** Preferences read recently, by account; dropped when set, and all at once past a bound. */
    private final Map<Jid, Prefs> prefs = new ConcurrentHashMap<>();
    private final ScheduledExecutorService sweeper = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().name("mam-expiry").daemon().unstarted(r));

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile Rosters rosters;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile ServerInfo server;

    @Activate
    public Mam(Config config, @Reference ArchiveStore archive, @Reference KeyValueStore store) {
        this.archive = archive;
        this.store = store;
        modified(config);
        sweeper.scheduleWithFixedDelay(this::sweep, 1, 60, TimeUnit.MINUTES);
    }

    @Modified
    void modified(Config c) {
        expireAfter = duration(c.expire_after());
        config = c;
    }

    @Deactivate
    void deactivate() {
        sweeper.shutdownNow();
    }

    /** For tests. */
    void rosters(Rosters r) {
        rosters = r;
    }

    /** 'never' (null: forever), or days (365d) or hours (72h). */
    static Duration duration(String value) {
        String v = value.strip().toLowerCase(java.util.Locale.ROOT);
        if (v.equals("never") || v.isEmpty()) return null;
        try {
            long n = Long.parseLong(v.substring(0, v.length() - 1));
            if (n > 0 && v.endsWith("d")) return Duration.ofDays(n);
            if (n > 0 && v.endsWith("h")) return Duration.ofHours(n);
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new IllegalArgumentException("expire.after must be 'never' or a positive number of days or hours such as 365d or 72h, not '" + value + "'");
    }

    void sweep() {
        Duration keep = expireAfter;
        ServerInfo s = server;
        if (keep == null || s == null) return;
        Instant before = Instant.now().minus(keep);
        for (String domain : s.domains()) {
            int n = archive.expire(domain, before);
            if (n > 0) LOG.info("Expired {} archived messages of {} older than {}", n, domain, before);
        }
    }

    // --- what is archived ------------------------------------------------------------------------

    static boolean archivable(Element m) {
        if (!m.name().equals("message")) return false;
        String type = m.attribute("type") == null ? "normal" : m.attribute("type");
        if (!type.equals("chat") && !type.equals("normal")) return false;
        if (Messages.hint(m, "no-store") || Messages.hint(m, "no-permanent-store")) return false;
        return Messages.hint(m, "store") || Messages.hasContent(m);
    }

    private boolean wanted(Jid account, Jid with) {
        Prefs p = prefs(account);
        Jid bare = with.bare();
        if (p.never().contains(bare) || p.never().contains(with)) return false;
        if (p.always().contains(bare) || p.always().contains(with)) return true;
        return switch (p.policy()) {
            case "always" -> true;
            case "never" -> false;
            default -> {
                Rosters r = rosters;
                yield r != null && r.item(account, bare).isPresent();
            }
        };
    }

    /** A message a client sends: into its own archive (a message to oneself is archived once, as received). */
    @Override
    public boolean handle(Element stanza, Origin origin) {
        if (!(origin instanceof Session sender) || !archivable(stanza) || stanza.attribute("to") == null) return false;
        Optional<Jid> to = Jid.tryParse(stanza.attribute("to"));
        Jid account = sender.jid().bare();
        if (to.isEmpty() || to.get().bare().equals(account) || !wanted(account, to.get())) return false;
        archive.append(account, to.get(), Instant.now().truncatedTo(ChronoUnit.MILLIS), stanza);
        return false;
    }

    /** A message for a local account: into its archive, with a stanza-id it can trust. */
    @Override
    public Element filter(Element stanza, StanzaContext context) {
        if (!stanza.name().equals("message")) return stanza;
        Jid account = Jid.of(stanza.attribute("to")).bare();
        // XEP-0359 §4: a stanza-id claiming to be by the account's server is never taken from outside
        String by = account.toString();
        Element m = stanza.without(e -> e.is("stanza-id", SID) && by.equals(e.attribute("by")));
        if (context.flagged(StreamAcks.RESENT) || !archivable(m)) return m; // re-sent: archived (and stamped) the first time
        Optional<Jid> from = m.attribute("from") == null ? Optional.empty() : Jid.tryParse(m.attribute("from"));
        if (from.isEmpty() || !wanted(account, from.get())) return m;
        String id = archive.append(account, from.get(), Instant.now().truncatedTo(ChronoUnit.MILLIS), m);
        return m.toBuilder().child(Element.builder("stanza-id", SID).attribute("id", id).attribute("by", account.toString()).build()).build();
    }

    /**
     * XEP-0386 §3: a session bound with Bind 2 learns the archive's state in {@code <bound/>}, and
     * is marked as synchronising from it (offline storage then drops what the archive holds).
     */
    @Override
    public Element bound(Session session) {
        Element metadata = MamQuery.metadata(archive, session.jid().bare());
        session.attribute(BindExtension.ARCHIVE_SYNC, Boolean.TRUE);
        return metadata;
    }

    // --- the protocol ----------------------------------------------------------------------------

    @Override
    public Element handle(Iq iq, Origin from) throws StanzaException {
        Session session = Session.of(from);
        Jid account = session.jid().bare();
        Element payload = iq.payload();
        return switch (payload.name()) {
            case "query" -> iq.type() == Iq.Type.GET ? MamQuery.form() : query(payload, session, account);
            case "prefs" -> iq.type() == Iq.Type.GET ? prefsElement(prefs(account)) : setPrefs(payload, account);
            case "metadata" -> {
                if (iq.type() != Iq.Type.GET) throw new StanzaException(StanzaError.BAD_REQUEST, "Metadata is read with a get");
                yield MamQuery.metadata(archive, account);
            }
            default -> throw new StanzaException(StanzaError.FEATURE_NOT_IMPLEMENTED, "<" + payload.name() + "/> is not part of " + NS);
        };
    }

    private Element query(Element query, Session session, Jid account) throws StanzaException {
        Config c = config;
        MamQuery.Answer answer = MamQuery.parse(query, c.page_size(), c.max_page_size()).run(archive, account, session.jid());
        for (Element result : answer.results()) session.send(result);
        return answer.fin();
    }

    /** A deleted account's archive goes with it, and what is cached of its preferences: the name inherits nothing. */
    @Override
    public void deleting(Jid account) {
        prefs.remove(account);
        int n = archive.delete(account);
        if (n > 0) LOG.info("Deleted the {} archived messages of {}", n, account);
    }

    // --- preferences (§6) --------------------------------------------------------------------------

    Prefs prefs(Jid account) {
        Prefs p = prefs.get(account);
        if (p != null) return p;
        p = store.get(account, PREFS_STORE, PREFS_KEY).map(Mam::parsePrefs).orElse(new Prefs(config.default_policy(), Set.of(), Set.of()));
        if (prefs.size() > 100_000) prefs.clear();
        prefs.put(account, p);
        return p;
    }

    private static Prefs parsePrefs(Element e) {
        return new Prefs(e.attribute("default") == null ? "roster" : e.attribute("default"), jids(e, "always"), jids(e, "never"));
    }

    private static Set<Jid> jids(Element prefs, String list) {
        Set<Jid> out = new LinkedHashSet<>();
        prefs.child(list, NS).ifPresent(l -> l.elements().filter(j -> j.is("jid", NS)).forEach(j -> Jid.tryParse(j.text().strip()).ifPresent(out::add)));
        return Set.copyOf(out);
    }

    static Element prefsElement(Prefs p) {
        Element.Builder always = Element.builder("always", NS), never = Element.builder("never", NS);
        p.always().stream().sorted().forEach(j -> always.child(Element.builder("jid", NS).text(j.toString()).build()));
        p.never().stream().sorted().forEach(j -> never.child(Element.builder("jid", NS).text(j.toString()).build()));
        return Element.builder("prefs", NS).attribute("default", p.policy()).child(always.build()).child(never.build()).build();
    }

    private Element setPrefs(Element payload, Jid account) throws StanzaException {
        String policy = payload.attribute("default");
        if (policy == null || !Set.of("always", "never", "roster").contains(policy)) {
            throw new StanzaException(StanzaError.BAD_REQUEST, "'default' must be always, never or roster");
        }
        for (String list : List.of("always", "never")) {
            Optional<Element> l = payload.child(list, NS);
            if (l.isEmpty()) continue;
            for (Element j : l.get().elements().toList()) {
                if (!j.is("jid", NS) || Jid.tryParse(j.text().strip()).isEmpty()) {
                    throw new StanzaException(StanzaError.BAD_REQUEST, "<" + list + "/> holds <jid/> elements with a JID each");
                }
            }
        }
        Prefs p = parsePrefs(payload);
        Element stored = prefsElement(p);
        store.put(account, PREFS_STORE, PREFS_KEY, stored);
        prefs.put(account, p);
        return stored;
    }
}
