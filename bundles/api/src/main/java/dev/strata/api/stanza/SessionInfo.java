package dev.strata.api.stanza;

import dev.strata.api.Jid;

/**
 * What routing needs to know about a bound session, as the {@link SessionRegistry} reports it:
 * a registry that spans several nodes can answer with sessions held elsewhere.
 *
 * @param jid the full JID
 * @param available whether the session sent available presence (RFC 6121 §4.2) and is still open
 * @param priority its presence priority (RFC 6121 §4.7.2.3), 0 when unavailable
 * @param session the session when it is on this node, else null
 */
public record SessionInfo(Jid jid, boolean available, int priority, Session session) {
    /** What a local session's state says now. */
    public static SessionInfo of(Session session) {
        boolean available = Presence.isAvailable(session);
        return new SessionInfo(session.jid(), available, available ? Presence.priority(session) : 0, session);
    }
}
