package dev.strata.xep0045;

import java.util.LinkedHashSet;
import java.util.Set;

import dev.strata.api.Jid;
import dev.strata.api.xml.Element;

/**
 * One nickname in a room: a user (bare JID) with one or more of its sessions (full JIDs) under
 * that nickname (XEP-0045 §7.2.10 allows a user to join from several resources with one nick), its
 * role, and the presence it last sent, without the MUC elements the room adds itself.
 */
final class Occupant {
    String nick;
    final Jid user;
    final Set<Jid> sessions = new LinkedHashSet<>();
    Role role;
    Element presence;

    Occupant(String nick, Jid user, Role role, Element presence) {
        this.nick = nick;
        this.user = user;
        this.role = role;
        this.presence = presence;
    }

    /** The message allowance (a token bucket): tokens left, and when it was last filled. */
    private double tokens = -1;
    private long filled;

    /** Takes one message from the allowance of {@code rate} a second and bursts of {@code burst}; false when there is none left. */
    boolean take(double rate, int burst, long now) {
        if (tokens < 0) {
            tokens = burst;
        } else {
            tokens = Math.min(burst, tokens + (now - filled) / 1e9 * rate);
        }
        filled = now;
        if (tokens < 1) return false;
        tokens -= 1;
        return true;
    }

    /** The session that stands for the occupant where one JID is shown (the 'jid' of its item). */
    Jid first() {
        return sessions.iterator().next();
    }
}
