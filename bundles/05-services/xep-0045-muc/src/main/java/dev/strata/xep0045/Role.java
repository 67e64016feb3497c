package dev.strata.xep0045;

import java.util.Locale;
import java.util.Optional;

/** An occupant's temporary position in a room (XEP-0045 §5.1), highest first. */
enum Role {
    MODERATOR, PARTICIPANT, VISITOR, NONE;

    String value() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Whether messages of this role reach the room (§5.1.1: visitors have no voice). */
    boolean hasVoice() {
        return this == MODERATOR || this == PARTICIPANT;
    }

    static Optional<Role> of(String value) {
        for (Role r : values()) if (r.value().equals(value)) return Optional.of(r);
        return Optional.empty();
    }
}
