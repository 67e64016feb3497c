package dev.strata.api.roster;

import java.util.List;
import java.util.Objects;

import dev.strata.api.Jid;

/**
 * One contact of a roster (RFC 6121 §2.1.2): its bare JID, name, groups, and the subscription
 * state of Appendix A — {@code subscription}, a pending outbound request ({@code ask}), and a
 * pre-approval of the contact's future request ({@code approved}, §3.4).
 */
public record RosterItem(Jid jid, String name, Subscription subscription, boolean ask, boolean approved, List<String> groups) {
    public enum Subscription {
        NONE, TO, FROM, BOTH;

        public String value() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        public static Subscription of(String value) {
            return value == null ? NONE : valueOf(value.toUpperCase(java.util.Locale.ROOT));
        }

        /** The user receives the contact's presence. */
        public boolean to() {
            return this == TO || this == BOTH;
        }

        /** The contact receives the user's presence. */
        public boolean from() {
            return this == FROM || this == BOTH;
        }

        public static Subscription of(boolean to, boolean from) {
            return to ? (from ? BOTH : TO) : (from ? FROM : NONE);
        }
    }

    public RosterItem {
        Objects.requireNonNull(jid, "jid");
        Objects.requireNonNull(subscription, "subscription");
        groups = List.copyOf(groups);
    }

    /** A contact the user has not named nor grouped, with no subscription either way. */
    public static RosterItem of(Jid jid) {
        return new RosterItem(jid.bare(), null, Subscription.NONE, false, false, List.of());
    }

    public RosterItem withState(Subscription s, boolean newAsk, boolean newApproved) {
        return new RosterItem(jid, name, s, newAsk, newApproved, groups);
    }
}
