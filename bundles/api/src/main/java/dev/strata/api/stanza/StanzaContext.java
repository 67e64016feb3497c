package dev.strata.api.stanza;

import java.util.HashMap;
import java.util.Map;

/**
 * One stanza's passage through the router: where it came from, and flags modules set on it
 * (ejabberd's stanza meta), such as "this is a carbon copy" or "already archived", instead of
 * marker elements in the XML. Not thread-safe: a context belongs to the worker routing its stanza.
 */
public final class StanzaContext {
    private final Origin origin;
    private Map<String, Object> meta;

    private StanzaContext(Origin origin) {
        this.origin = origin;
    }

    public static StanzaContext of(Origin origin) {
        return new StanzaContext(origin);
    }

    /** The sender: a client session, a service, a remote server, or the server itself. */
    public Origin origin() {
        return origin;
    }

    /** A flag or value set by a module, under a key it owns; null when unset. */
    public Object meta(String key) {
        return meta == null ? null : meta.get(key);
    }

    /** Whether a flag is set to {@code true}. */
    public boolean flagged(String key) {
        return Boolean.TRUE.equals(meta(key));
    }

    /** Sets a flag or value; null removes it. Returns this context. */
    public StanzaContext meta(String key, Object value) {
        if (value == null) {
            if (meta != null) meta.remove(key);
        } else {
            if (meta == null) meta = new HashMap<>(4);
            meta.put(key, value);
        }
        return this;
    }
}
