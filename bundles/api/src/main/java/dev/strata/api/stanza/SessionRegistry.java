package dev.strata.api.stanza;

import java.util.Collection;
import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

import dev.strata.api.Jid;

/**
 * The bound client sessions of this server, one per full JID. The stream layer binds and unbinds;
 * routing and modules look sessions up. A clustered implementation may replace the local one
 * (a higher {@code service.ranking}); routing decides availability only from {@link #available}.
 */
@ProviderType
public interface SessionRegistry {
    /** What {@link #bind} did. */
    sealed interface Binding {
        /** Bound; {@code replaced} is the session that held the JID before, now unbound (its owner closes it), or null. */
        record Bound(Session replaced) implements Binding {
        }

        /** Refused: the JID is held by another session and the policy keeps it. */
        record Conflict(Session holder) implements Binding {
        }
    }

    /** When a full JID is bound twice (RFC 6120 §7.7.2.2). */
    enum ConflictPolicy {
        /** The new session wins; the old one is unbound and closed with a {@code conflict} stream error. */
        REPLACE,
        /** The new bind is refused with {@code conflict}. */
        REJECT
    }

    /**
     * Binds {@code session} to its {@link Session#jid()} atomically: of two concurrent binds of one
     * full JID, exactly one holds it afterwards.
     */
    Binding bind(Session session, ConflictPolicy policy);

    /**
     * Unbinds {@code session} if it still holds its JID; false when it was replaced or never bound,
     * so a replaced session's late end does not touch the JID its successor holds.
     */
    boolean unbind(Session session);

    Optional<Session> find(Jid fullJid);

    /** The sessions of one account (bare JID). */
    List<Session> sessions(Jid bareJid);

    /** The sessions of one account with their availability and priority (RFC 6121 §8.5.2). */
    default List<SessionInfo> available(Jid bareJid) {
        return sessions(bareJid).stream().map(SessionInfo::of).filter(SessionInfo::available).toList();
    }

    Collection<Session> all();
}
