package dev.strata.xep0045;

import java.util.Locale;
import java.util.Optional;

/** A long-lived relation of a bare JID to a room (XEP-0045 §5.2), highest first. */
enum Affiliation {
    OWNER, ADMIN, MEMBER, NONE, OUTCAST;

    String value() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Owner and admin: may manage the member and ban lists, and are moderators in the room. */
    boolean isAdmin() {
        return this == OWNER || this == ADMIN;
    }

    boolean atLeast(Affiliation other) {
        return ordinal() <= other.ordinal();
    }

    static Optional<Affiliation> of(String value) {
        for (Affiliation a : values()) if (a.value().equals(value)) return Optional.of(a);
        return Optional.empty();
    }
}
