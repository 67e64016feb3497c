package dev.strata.api.server;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

import dev.strata.api.Jid;

/** The server-wide settings of {@code config/strata.cfg}, as they are now. */
@ProviderType
public interface ServerInfo {
    /** The XMPP domains this server hosts, the first being the default. */
    List<String> domains();

    /** {@code development} or {@code production}. */
    String environment();

    /** The administrators' bare JIDs. */
    List<Jid> admins();

    default boolean isAdmin(Jid jid) {
        return admins().contains(jid.bare());
    }

    default boolean hosts(String domain) {
        return domains().contains(domain);
    }
}
