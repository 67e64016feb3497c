package dev.strata.xep0484;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventConstants;
import org.osgi.service.event.EventHandler;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.Jid;
import dev.strata.api.auth.FastTokens;
import dev.strata.api.storage.KeyValueStore;
import dev.strata.api.xml.Element;

/**
 * XEP-0484 FAST tokens, kept per account and client (SASL2 user-agent id) in the key-value store
 * {@code fast}, in two slots as the XEP's §6 describes: {@code current}, the token the client last
 * logged in with, and {@code new}, one issued and not used yet. The hashed-token mechanisms
 * (draft-schmaus-kitten-sasl-ht-08) are HT-SHA-256-NONE, -ENDP (tls-server-end-point) and -EXPR
 * (tls-exporter); a token works with the mechanism it was issued for only. A password change
 * revokes every token of the account. Records are kept in memory too (this service is the store's
 * only writer), so a reconnect reads no document.
 */
@Component(name = "strata.xep0484", service = {FastTokens.class, EventHandler.class},
        property = {EventConstants.EVENT_TOPIC + "=strata/account/PASSWORD_CHANGED", EventConstants.EVENT_TOPIC + "=strata/account/DELETED"})
@Designate(ocd = Tokens.Config.class)
public final class Tokens implements FastTokens, EventHandler {
    static final String STORE = "fast";
    static final String NS = "urn:strata:fast";
    private static final Logger LOG = LoggerFactory.getLogger(Tokens.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    /** How precisely a client's last token login is recorded. */
    private static final Duration LAST_USED_GRAIN = Duration.ofHours(1);
    /** Mechanism name to the channel binding type it hashes in ("" for none), most preferred first. */
    private static final Map<String, String> MECHANISMS = new LinkedHashMap<>();

    static {
        MECHANISMS.put("HT-SHA-256-EXPR", "tls-exporter");
        MECHANISMS.put("HT-SHA-256-ENDP", "tls-server-end-point");
        MECHANISMS.put("HT-SHA-256-NONE", "");
    }

    @ObjectClassDefinition(id = "strata.xep0484", name = "XEP-0484 FAST tokens")
    @interface Config {
        @AttributeDefinition(min = "1", max = "3650", description = "Days a FAST token is valid; a client that does not log in for that long logs in with its password again")
        int token_lifetime_days() default 21;

        @AttributeDefinition(min = "0", max = "3650", description = "Days before its expiry at which a token used to log in is replaced by a new one (sent in the login's success)")
        int rotate_before_days() default 7;
    }

    /** At most this many clients' records in memory; past it the cache starts over. */
    private static final int CACHED = 100_000;

    private final KeyValueStore store;
    /** Records by account and client id, as stored; {@link #NONE} for a client known to have none. */
    private final ConcurrentHashMap<String, Record> cache = new ConcurrentHashMap<>();
    private static final Record NONE = new Record(new Client("", "", ""), "", null, null, null);
    private final Clock clock;
    private volatile Config config;

    @Activate
    public Tokens(Config config, @Reference KeyValueStore store) {
        this(config, store, Clock.systemUTC());
    }

    Tokens(Config config, KeyValueStore store, Clock clock) {
        this.config = config;
        this.store = store;
        this.clock = clock;
    }

    @Modified
    void modified(Config c) {
        config = c;
    }

    @Override
    public List<String> mechanisms(Set<String> channelBindings) {
        List<String> list = new ArrayList<>();
        MECHANISMS.forEach((m, cb) -> {
            if (cb.isEmpty() || channelBindings.contains(cb)) list.add(m);
        });
        return list;
    }

    @Override
    public Token issue(Jid account, Client client, String mechanism) {
        if (!MECHANISMS.containsKey(mechanism)) throw new IllegalArgumentException("Not a FAST mechanism here: " + mechanism);
        Record r = load(account, client.id()).orElse(new Record(client, mechanism, null, null, null));
        Token t = newToken();
        // a new token replaces an unused new one (§4.4); the current one stays until the new one is used.
        // A token request with another mechanism starts over: tokens are bound to their mechanism (§4.3)
        Slot current = mechanism.equals(r.mechanism()) ? r.current() : null;
        save(account, new Record(new Client(client.id(), or(client.software(), r.client().software()), or(client.device(), r.client().device())),
                mechanism, current, new Slot(t.secret(), t.expiry()), r.lastUsed()));
        LOG.debug("FAST token issued to {} for client {} ({}), valid until {}", account, client.id(), mechanism, t.expiry());
        return t;
    }

    private static String or(String a, String b) {
        return a == null || a.isEmpty() ? (b == null ? "" : b) : a;
    }

    @Override
    public Outcome verify(Jid account, String clientId, String mechanism, byte[] initiatorHash, Map<String, byte[]> channelBindings, boolean invalidate) {
        String cbType = MECHANISMS.get(mechanism);
        if (cbType == null) return new Refused("invalid-mechanism", mechanism + " is not a FAST mechanism here");
        byte[] cb = cbType.isEmpty() ? new byte[0] : channelBindings.get(cbType);
        if (cb == null) return new Refused("not-authorized", mechanism + " needs the " + cbType + " channel binding, which this connection lacks");
        Optional<Record> found = load(account, clientId);
        if (found.isEmpty()) return new Refused("credentials-expired", "This client has no FAST token: it was revoked or replaced; log in with your password");
        Record r = found.get();
        if (!mechanism.equals(r.mechanism())) return new Refused("credentials-expired", "This client's token was issued for " + r.mechanism() + ", not " + mechanism);
        Instant now = clock.instant();
        Slot used = null;
        boolean fromNew = false;
        for (Slot s : new Slot[] {r.fresh(), r.current()}) {
            if (s != null && MessageDigest.isEqual(hmac(s.secret(), "Initiator", cb), initiatorHash)) {
                used = s;
                fromNew = s == r.fresh();
                break;
            }
        }
        if (used == null) return new Refused("not-authorized", "The token is not this client's");
        if (!used.expiry().isAfter(now)) {
            return new Refused("credentials-expired", "The token expired at " + used.expiry() + "; log in with your password");
        }
        byte[] responder = hmac(used.secret(), "Responder", cb);
        if (invalidate) {
            cache.remove(key(account, clientId));
            store.delete(account, STORE, clientId);
            LOG.info("FAST tokens of {} client {} invalidated by the client", account, clientId);
            return new Accepted(responder, null);
        }
        // the used token becomes the current one; a new one is issued when it nears its expiry (§4.4)
        Slot current = used;
        Slot fresh = fromNew ? null : r.fresh();
        Token next = null;
        if (fresh == null && Duration.between(now, used.expiry()).compareTo(Duration.ofDays(config.rotate_before_days())) < 0) {
            next = newToken();
            fresh = new Slot(next.secret(), next.expiry());
        }
        // a reconnect with the token in use writes nothing unless an hour passed since its last use was recorded:
        // "last used" is kept to the hour, and a login costs no database write
        if (fromNew || fresh != r.fresh() || r.lastUsed() == null || r.lastUsed().isBefore(now.minus(LAST_USED_GRAIN))) {
            save(account, new Record(r.client(), mechanism, current, fresh, now));
        }
        return new Accepted(responder, next);
    }

    @Override
    public List<Device> devices(Jid account) {
        List<Device> list = new ArrayList<>();
        for (Element e : store.getAll(account, STORE).values()) {
            Record r = Record.of(e);
            if (r == null) continue;
            Instant expiry = r.fresh() != null ? r.fresh().expiry() : r.current() != null ? r.current().expiry() : null;
            list.add(new Device(r.client(), r.mechanism(), expiry, r.lastUsed()));
        }
        list.sort(Comparator.comparing(Device::lastUsed, Comparator.nullsLast(Comparator.reverseOrder())));
        return list;
    }

    @Override
    public boolean revoke(Jid account, String clientId) {
        cache.remove(key(account, clientId));
        boolean had = store.delete(account, STORE, clientId);
        if (had) LOG.info("FAST tokens of {} client {} revoked", account, clientId);
        return had;
    }

    @Override
    public int revokeAll(Jid account) {
        forget(account);
        List<String> keys = store.keys(account, STORE);
        int n = keys.isEmpty() ? 0 : store.delete(account, STORE, keys);
        if (n > 0) LOG.info("FAST tokens of {} revoked for {} client(s)", account, n);
        return n;
    }

    /** The account's password changed: no token issued before stays valid; or the account was deleted, with its documents. */
    @Override
    public void handleEvent(Event event) {
        try {
            Jid account = Jid.of(String.valueOf(event.getProperty("jid")));
            if (event.getTopic().endsWith("/DELETED")) forget(account);
            else revokeAll(account);
        } catch (RuntimeException e) {
            LOG.warn("Could not revoke the FAST tokens of {} after its password changed: {}", event.getProperty("jid"), e.toString());
        }
    }

    private Token newToken() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return new Token(Base64.getUrlEncoder().withoutPadding().encodeToString(b), clock.instant().plus(Duration.ofDays(config.token_lifetime_days())).truncatedTo(ChronoUnit.SECONDS));
    }

    /** HMAC-SHA-256(token, label || cb-data), as the HT mechanisms define the initiator's and responder's messages. */
    static byte[] hmac(String token, String label, byte[] cb) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(token.getBytes(UTF_8), "HmacSHA256"));
            mac.update(label.getBytes(UTF_8));
            return mac.doFinal(cb);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String key(Jid account, String clientId) {
        return account.bare() + "\0" + clientId;
    }

    private void forget(Jid account) {
        String prefix = account.bare() + "\0";
        cache.keySet().removeIf(k -> k.startsWith(prefix));
    }

    private Optional<Record> load(Jid account, String clientId) {
        Record r = cache.get(key(account, clientId));
        if (r == null) {
            r = store.get(account.bare(), STORE, clientId).map(Record::of).orElse(NONE);
            remember(account, clientId, r);
        }
        return r == NONE ? Optional.empty() : Optional.of(r);
    }

    private void remember(Jid account, String clientId, Record r) {
        if (cache.size() >= CACHED) cache.clear();
        cache.put(key(account, clientId), r);
    }

    private void save(Jid account, Record r) {
        store.put(account.bare(), STORE, r.client().id(), r.toElement());
        remember(account, r.client().id(), r);
    }

    /** One token slot. */
    record Slot(String secret, Instant expiry) {
    }

    /** What is stored for one client: its description, the mechanism its tokens are bound to, the two slots, and its last token login. */
    record Record(Client client, String mechanism, Slot current, Slot fresh, Instant lastUsed) {
        Element toElement() {
            Element.Builder b = Element.builder("client", NS).attribute("id", client.id()).attribute("mechanism", mechanism)
                    .attribute("software", client.software()).attribute("device", client.device());
            if (lastUsed != null) b.attribute("last-used", lastUsed.toString());
            if (current != null) b.child(slot("current", current));
            if (fresh != null) b.child(slot("new", fresh));
            return b.build();
        }

        private static Element slot(String name, Slot s) {
            return Element.builder(name, NS).attribute("token", s.secret()).attribute("expiry", s.expiry().toString()).build();
        }

        static Record of(Element e) {
            try {
                String lastUsed = e.attribute("last-used");
                return new Record(new Client(e.attribute("id"), String.valueOf(e.attribute("software")), String.valueOf(e.attribute("device"))),
                        e.attribute("mechanism"), slot(e, "current"), slot(e, "new"), lastUsed == null ? null : Instant.parse(lastUsed));
            } catch (DateTimeParseException | NullPointerException x) {
                LOG.warn("Unreadable FAST record {}: {}", e.attribute("id"), x.toString());
                return null;
            }
        }

        private static Slot slot(Element e, String name) {
            return e.child(name, NS).map(s -> new Slot(s.attribute("token"), Instant.parse(s.attribute("expiry")))).orElse(null);
        }
    }
}
