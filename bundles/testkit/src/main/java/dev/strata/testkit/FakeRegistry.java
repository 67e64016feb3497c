package dev.strata.testkit;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import dev.strata.api.Jid;
import dev.strata.api.stanza.Session;
import dev.strata.api.stanza.SessionRegistry;

/** A session registry for module tests: sessions added with {@link #add}; a bind replaces. */
public final class FakeRegistry implements SessionRegistry {
    private final Map<Jid, Session> sessions = new ConcurrentHashMap<>();

    public <S extends Session> S add(S session) {
        sessions.put(session.jid(), session);
        return session;
    }

    @Override
    public Binding bind(Session session, ConflictPolicy policy) {
        Session old = sessions.get(session.jid());
        if (old != null && policy == ConflictPolicy.REJECT) return new Binding.Conflict(old);
        sessions.put(session.jid(), session);
        return new Binding.Bound(old);
    }

    @Override
    public boolean unbind(Session session) {
        return sessions.remove(session.jid(), session);
    }

    @Override
    public Optional<Session> find(Jid fullJid) {
        return Optional.ofNullable(sessions.get(fullJid));
    }

    @Override
    public List<Session> sessions(Jid bareJid) {
        return sessions.values().stream().filter(s -> s.jid().bare().equals(bareJid.bare()))
                .sorted((a, b) -> a.jid().toString().compareTo(b.jid().toString())).toList();
    }

    @Override
    public Collection<Session> all() {
        return List.copyOf(sessions.values());
    }
}
