package dev.strata.accounts.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import dev.strata.api.InvalidJidException;
import dev.strata.api.Jid;
import dev.strata.api.auth.LoginThrottle;

/**
 * The server's {@link LoginThrottle}: three counts per failed login (the account from this address,
 * the account from anywhere, this address for any account), each with its free failures; past them
 * a key is locked for {@code delay.first} seconds, twice that at the next failure, and so on up to
 * {@code delay.max}. A key forgets its failures {@code forget.after} seconds after the last one.
 * Attempts refused while locked do not count (they tell the guesser nothing, and a user retrying
 * must not make the lock longer). {@link AuthCommands} shows and clears them.
 */
@Component(service = LoginThrottle.class, configurationPid = "strata.auth")
@Designate(ocd = Lockouts.Config.class)
public final class Lockouts implements LoginThrottle {
    @ObjectClassDefinition(id = "strata.auth", name = "Failed logins",
            description = "Failed logins, shared by client streams and the SSH console: free failures per key, then locks that double")
    @interface Config {
        @AttributeDefinition(min = "1", description = "Failures of one account from one address before it is locked there")
        int free_per_account_address() default 5;

        @AttributeDefinition(min = "1", description = "Failures of one account from all addresses before it is locked everywhere")
        int free_per_account() default 20;

        @AttributeDefinition(min = "1", description = "Failures from one address, any account, before the address is locked (keep it far above the others: many users may share one address)")
        int free_per_address() default 200;

        @AttributeDefinition(min = "1", max = "3600", description = "Seconds of the first lock; each further failure doubles it")
        int delay_first() default 2;

        @AttributeDefinition(min = "1", max = "86400", description = "Seconds a lock lasts at most")
        int delay_max() default 900;

        @AttributeDefinition(min = "60", max = "604800", description = "Seconds after its last failure that a key forgets its failures")
        int forget_after() default 3600;
    }

    /** An address, an account, or both. */
    record Key(String address, String account) {
        String describe() {
            return address == null ? "for " + account : account == null ? "from " + address : "for " + account + " from " + address;
        }
    }

    private static final class Record {
        int failures;
        long last;
        long lockedUntil;
    }

    /** Past this many keys, forgotten ones are dropped at once, then unlocked ones: an attack from many addresses stays bounded. */
    static final int MAX_KEYS = 100_000;

    private final Map<Key, Record> records = new ConcurrentHashMap<>();
    private final LongSupplier clock;
    private volatile Config config;

    @Activate
    public Lockouts(Config config) {
        this(config, System::currentTimeMillis);
    }

    Lockouts(Config config, LongSupplier clock) {
        this.clock = clock;
        this.config = config;
    }

    @Modified
    void modified(Config c) {
        config = c;
    }

    private static List<Key> keys(String address, String account) {
        return account == null ? List.of(new Key(address, null)) : List.of(new Key(address, account), new Key(null, account), new Key(address, null));
    }

    private int free(Key k, Config c) {
        return k.address() == null ? c.free_per_account() : k.account() == null ? c.free_per_address() : c.free_per_account_address();
    }

    @Override
    public Verdict check(String address, String account) {
        long now = clock.getAsLong();
        Key worst = null;
        long until = now;
        for (Key k : keys(address, account)) {
            Record r = records.get(k);
            if (r == null) continue;
            synchronized (r) {
                if (r.lockedUntil > until) {
                    until = r.lockedUntil;
                    worst = k;
                }
            }
        }
        if (worst == null) return Verdict.ALLOWED;
        long seconds = Math.max(1, (until - now + 999) / 1000);
        return new Verdict(false, Duration.ofMillis(until - now), "Too many failed logins " + worst.describe() + "; try again in " + seconds + " s");
    }

    @Override
    public void failed(String address, String account) {
        Config c = config;
        long now = clock.getAsLong();
        if (records.size() > MAX_KEYS) prune(now, c);
        for (Key k : keys(address, account)) {
            Record r = records.computeIfAbsent(k, x -> new Record());
            synchronized (r) {
                if (now - r.last > c.forget_after() * 1000L) r.failures = 0;
                r.failures++;
                r.last = now;
                int over = r.failures - free(k, c);
                if (over > 0) {
                    long delay = Math.min((long) c.delay_max(), (long) c.delay_first() << Math.min(over - 1, 30)) * 1000L;
                    r.lockedUntil = Math.max(r.lockedUntil, now + delay);
                }
            }
        }
    }

    @Override
    public void succeeded(String address, String account) {
        if (account != null) records.remove(new Key(address, account));
    }

    private void prune(long now, Config c) {
        records.entrySet().removeIf(e -> {
            synchronized (e.getValue()) {
                return now - e.getValue().last > c.forget_after() * 1000L;
            }
        });
        if (records.size() > MAX_KEYS) records.entrySet().removeIf(e -> {
            synchronized (e.getValue()) {
                return e.getValue().lockedUntil <= now;
            }
        });
    }

    @Override
    public List<Lockout> lockouts() {
        Config c = config;
        long now = clock.getAsLong();
        List<Lockout> list = new ArrayList<>();
        records.forEach((k, r) -> {
            synchronized (r) {
                if (now - r.last <= c.forget_after() * 1000L) {
                    list.add(new Lockout(k.address(), k.account(), r.failures, r.lockedUntil > now ? Instant.ofEpochMilli(r.lockedUntil) : null));
                }
            }
        });
        list.sort(Comparator.comparing((Lockout l) -> l.lockedUntil() == null).thenComparing(Lockout::failures, Comparator.reverseOrder()));
        return list;
    }

    @Override
    public int clear(String who) {
        String account = who;
        if (who.contains("@")) {
            try {
                account = Jid.of(who).bare().toString();
            } catch (InvalidJidException e) {
                // not a JID: compared as written
            }
        }
        String a = account;
        int before = records.size();
        records.keySet().removeIf(k -> who.equals(k.address()) || a.equals(k.account()));
        return before - records.size();
    }
}
