package dev.strata.stream.internal;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Counts failed authentications per client address and per account over a sliding window.
 * Once either count reaches its limit, further attempts for that address or account are refused
 * (temporary-auth-failure) until the window has passed, whatever the password.
 */
final class AuthThrottle {
    private final ConcurrentHashMap<String, Deque<Long>> failures = new ConcurrentHashMap<>();
    private final int perAddress;
    private final int perAccount;
    private final long windowMillis;

    AuthThrottle(int perAddress, int perAccount, long windowMillis) {
        this.perAddress = perAddress;
        this.perAccount = perAccount;
        this.windowMillis = windowMillis;
    }

    boolean blocked(String address, String account) {
        return count("ip:" + address) >= perAddress || (account != null && count("user:" + account) >= perAccount);
    }

    void failed(String address, String account) {
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
