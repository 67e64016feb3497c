package dev.strata.router.internal;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.service.component.annotations.Component;

import dev.strata.api.Jid;
import dev.strata.api.stanza.Session;
import dev.strata.api.stanza.SessionRegistry;

/**
 * The sessions bound on this node, in memory. A bind is one atomic step per full JID, so of two
 * concurrent binds exactly one holds the JID; an unbind removes only the session that holds it. A
 * clustered registry replaces this one by registering with a higher {@code service.ranking}.
 */
@Component(service = SessionRegistry.class)
public final class LocalSessions implements SessionRegistry {
    private final ConcurrentHashMap<Jid, Session> byFullJid = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Jid, List<Session>> byBareJid = new ConcurrentHashMap<>();

    @Override
    public Binding bind(Session session, ConflictPolicy policy) {
        Jid full = session.jid();
        Session[] replaced = new Session[1];
        Session holder = byFullJid.compute(full, (k, old) -> {
            if (old == null || old == session || !old.isOpen()) {
                replaced[0] = old == session ? null : old;
                return session;
            }
            if (policy == ConflictPolicy.REJECT) return old;
            replaced[0] = old;
            return session;
        });
        if (holder != session) return new Binding.Conflict(holder);
        byBareJid.compute(full.bare(), (k, v) -> {
            List<Session> list = v == null ? new ArrayList<>() : new ArrayList<>(v);
            if (replaced[0] != null) list.remove(replaced[0]);
            if (!list.contains(session)) list.add(session);
            return List.copyOf(list);
        });
        return new Binding.Bound(replaced[0]);
    }

    @Override
    public boolean unbind(Session session) {
        Jid full = session.jid();
        if (full == null) return false;
        boolean held = byFullJid.remove(full, session);
        byBareJid.computeIfPresent(full.bare(), (k, v) -> {
            List<Session> list = new ArrayList<>(v);
            list.remove(session);
            return list.isEmpty() ? null : List.copyOf(list);
        });
        return held;
    }

    @Override
    public Optional<Session> find(Jid fullJid) {
        return Optional.ofNullable(byFullJid.get(fullJid));
    }

    @Override
    public List<Session> sessions(Jid bareJid) {
        return byBareJid.getOrDefault(bareJid.bare(), List.of());
    }

    @Override
    public Collection<Session> all() {
        return List.copyOf(byFullJid.values());
    }
}
