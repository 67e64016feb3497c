package dev.strata.transport.internal;

/**
 * A token bucket for the bytes read from one connection: {@code bytesPerSecond} sustained after a
 * burst of {@code burstBytes}. Used on the connection's event loop only.
 */
final class ReadRate {
    private final double bytesPerNano;
    private final long burst;
    private double tokens;
    private long at = Long.MIN_VALUE;

    ReadRate(long bytesPerSecond, long burstBytes) {
        this.bytesPerNano = bytesPerSecond / 1e9;
        this.burst = burstBytes;
        this.tokens = burstBytes;
    }

    /** Takes {@code bytes} read at {@code now} (nanoTime); returns how long to wait before reading again, 0 for not at all. */
    long take(long bytes, long now) {
        if (at != Long.MIN_VALUE) tokens = Math.min(burst, tokens + (now - at) * bytesPerNano);
        at = now;
        tokens -= bytes;
        return tokens >= 0 ? 0 : (long) Math.ceil(-tokens / bytesPerNano);
    }
}
