package dev.strata.api.auth;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Counts failed authentications per client address and per account over a sliding window.
 * Once either count reaches its limit, further attempts for that address or account are refused
 * until the window has passed, whatever the password. Every way in that takes a password (SASL on
 * client streams, the SSH console) keeps one, so none of them is a way around the others' limits.
 *
 * @deprecated the server keeps one record for all ways in, with delays instead of blocks: {@link LoginThrottle}
 */
@Deprecated(since = "auth 1.4.0")
public final class AuthThrottle {
    private final ConcurrentHashMap<String, Deque<Long>> failures = new ConcurrentHashMap<>();
    private final int perAddress;
    private final int perAccount;
    private final long windowMillis;

    public AuthThrottle(int perAddress, int perAccount, long windowMillis) {
        this.perAddress = perAddress;
        this.perAccount = perAccount;
        this.windowMillis = windowMillis;
    }

    /** True when the address or the account ({@code null}: not known yet) is over its limit. */
    public boolean blocked(String address, String account) {
        return count("ip:" + address) >= perAddress || (account != null && count("user:" + account) >= perAccount);
    }

    /** Counts one failure against the address and the account ({@code null}: not known). */
    public void failed(String address, String account) {
        add("ip:" + address);
        if (account != null) add("user:" + account);
    }

    private void add(String key) {
        Deque<Long> d = failures.computeIfAbsent(key, k -> new ArrayDeque<>());
        synchronized (d) {
            d.addLast(System.currentTimeMillis());
        }
    }

    private int count(String key) {
        Deque<Long> d = failures.get(key);
        if (d == null) return 0;
        synchronized (d) {
            long oldest = System.currentTimeMillis() - windowMillis;
            while (!d.isEmpty() && d.peekFirst() < oldest) d.removeFirst();
            if (d.isEmpty()) failures.remove(key, d);
            return d.size();
        }
    }
}
