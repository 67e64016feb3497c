package dev.strata.api.module;

import java.time.Duration;

import org.osgi.annotation.versioning.ConsumerType;

import dev.strata.api.stanza.Session;

/**
 * Told when a client session loses its connection and when it ends, so a module can keep a session
 * alive without its socket (stream management, XEP-0198) and learn when it is gone for good.
 * Registered as a whiteboard service; called on the session's worker.
 */
@ConsumerType
public interface SessionLifecycle {
    /**
     * The session's connection is gone ({@code reason}). Returns how long to keep the session
     * bound and routable without a connection, waiting for a stream to resume it
     * ({@link dev.strata.api.stream.Negotiation#resume}); {@link Duration#ZERO} to let it end now.
     * The longest answer of all registered lifecycles wins. Stanzas sent to a session without a
     * connection pass its {@link SessionFilter}s (which may keep them) and are not written.
     */
    default Duration detached(Session session, String reason) {
        return Duration.ZERO;
    }

    /**
     * The session ended: closed, timed out without a connection, or replaced. Its last call; what a
     * module releases into it now ({@link Session#release}) is counted by stream management and
     * goes where the stanzas its client never acknowledged go.
     */
    default void ended(Session session, String reason) {
    }
}
