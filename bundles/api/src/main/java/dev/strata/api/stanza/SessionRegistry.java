package dev.strata.api.stanza;

import java.util.Collection;
import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

import dev.strata.api.Jid;

/** The bound client sessions of this server. */
@ProviderType
public interface SessionRegistry {
    Optional<Session> find(Jid fullJid);

    /** The sessions of one account (bare JID). */
    List<Session> sessions(Jid bareJid);

    Collection<Session> all();
}
