package dev.strata.api.stanza;

import java.util.Optional;

import dev.strata.api.xml.Element;

/**
 * What the server knows of a session's presence (RFC 6121 §4): the presence module keeps the
 * session's last broadcast available presence in the session attribute {@value #ATTRIBUTE};
 * a session without it is connected but not available.
 */
public final class Presence {
    /** The session attribute holding the last available presence {@link Element}. */
    public static final String ATTRIBUTE = "strata.presence";

    private Presence() {
    }

    /** The session's current available presence, if it sent one. */
    public static Optional<Element> of(Session session) {
        return session.isOpen() && session.attribute(ATTRIBUTE) instanceof Element e ? Optional.of(e) : Optional.empty();
    }

    public static boolean isAvailable(Session session) {
        return of(session).isPresent();
    }

    /** The session's priority (§4.7.2.3): 0 when absent or when the session is not available. */
    public static int priority(Session session) {
        return of(session).map(Presence::priority).orElse(0);
    }

    /**
     * The {@code <priority/>} of a presence stanza: 0 when absent.
     * @throws NumberFormatException when it is not an integer in −128..127
     */
    public static int priority(Element presence) {
        Optional<Element> p = presence.child("priority", presence.namespace());
        if (p.isEmpty()) return 0;
        int value = Integer.parseInt(p.get().text().strip());
        if (value < -128 || value > 127) throw new NumberFormatException("priority " + value + " is outside -128..127");
        return value;
    }
}
