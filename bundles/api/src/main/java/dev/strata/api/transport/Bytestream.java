package dev.strata.api.transport;

import java.net.InetSocketAddress;
import java.util.concurrent.CompletionStage;

import org.osgi.annotation.versioning.ProviderType;

/**
 * One SOCKS5 connection of a {@code socks5} listener (XEP-0065 §6.3.2) that asked for a bytestream:
 * it has had its SOCKS5 success reply, and what it sends is kept (up to 64 KiB; more closes it) until
 * {@link #relay} pairs it with the other party's connection. Thread-safe.
 */
@ProviderType
public interface Bytestream {
    /** The SOCKS5 destination address the connection asked for: SHA1(SID + initiator JID + target JID), hex, as sent. */
    String hash();

    InetSocketAddress remoteAddress();

    /**
     * Relays bytes both ways between this connection and {@code other} from now on, what either sent
     * early first; each direction at most {@code bytesPerSecond} (0: unbounded), reading from one side
     * paused while the other does not take what is written to it. Closing either closes both once
     * what was read is written. Throws {@link IllegalStateException} if either is closed or relaying already.
     */
    void relay(Bytestream other, long bytesPerSecond);

    /** Bytes read from this connection and relayed so far. */
    long bytesRelayed();

    /** Closes the connection (and the one relaying with it). */
    void close();

    /** Completes when the connection has closed, for whatever reason. */
    CompletionStage<Void> closed();
}
