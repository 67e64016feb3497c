package dev.strata.transport.internal;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Connections in total and per address for one kind of listener: admission and release. */
final class Admission {
    private final ConcurrentHashMap<InetAddress, AtomicInteger> perIp = new ConcurrentHashMap<>();
    private final AtomicInteger total = new AtomicInteger();

    /** Counts the connection in; null when it may stay, else why not (and it is not counted). */
    String admit(InetAddress ip, int max, int maxPerIp) {
        if (total.incrementAndGet() > max) {
            total.decrementAndGet();
            return "The server has too many connections";
        }
        if (perIp.computeIfAbsent(ip, k -> new AtomicInteger()).incrementAndGet() > maxPerIp) {
            total.decrementAndGet();
            release(ip, false);
            return "Too many connections from your address";
        }
        return null;
    }

    /** Counts an admitted connection out. */
    void release(InetAddress ip) {
        release(ip, true);
    }

    private void release(InetAddress ip, boolean fromTotal) {
        if (fromTotal) total.decrementAndGet();
        perIp.computeIfPresent(ip, (k, v) -> v.decrementAndGet() <= 0 ? null : v);
    }

    int open() {
        return total.get();
    }
}
