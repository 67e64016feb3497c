package dev.strata.api.roster;

import dev.strata.api.Jid;

/**
 * A change would add an item to a roster that already holds as many as the server keeps
 * ({@code max.items} of the roster module). Every path that adds an item (roster set, outbound
 * subscription, pre-approval) refuses alike; the caller answers its sender with {@code not-allowed}.
 */
public class RosterFullException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public RosterFullException(Jid user, int max) {
        super("The roster of " + user + " is full (" + max + " contacts)");
    }
}
