package dev.strata.testkit;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.strata.api.auth.LoginThrottle;

/** A {@link LoginThrottle} that allows every login except for accounts {@link #lock}ed, and records the failures it is told of. */
public class FakeThrottle implements LoginThrottle {
    /** "address account" of each failure, in order. */
    public final List<String> failures = new CopyOnWriteArrayList<>();
    private final Set<String> locked = ConcurrentHashMap.newKeySet();

    public FakeThrottle lock(String account) {
        locked.add(account);
        return this;
    }

    @Override
    public Verdict check(String address, String account) {
        return account != null && locked.contains(account) ? new Verdict(false, Duration.ofSeconds(60), "Too many failed logins for " + account + "; try again in 60 s")
                : Verdict.ALLOWED;
    }

    @Override
    public void failed(String address, String account) {
        failures.add(address + " " + account);
    }

    @Override
    public void succeeded(String address, String account) {
    }

    @Override
    public List<Lockout> lockouts() {
        return List.of();
    }

    @Override
    public int clear(String addressOrAccount) {
        return locked.remove(addressOrAccount) ? 1 : 0;
    }
}
