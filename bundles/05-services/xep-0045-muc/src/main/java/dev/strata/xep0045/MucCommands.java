package dev.strata.xep0045;

import java.util.Comparator;
import java.util.Map;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.strata.api.Jid;
import dev.strata.api.console.ConsoleCommand;

/** {@code muc:list}, {@code muc:info ROOM} and {@code muc:destroy ROOM [reason]}: the rooms of the chat service. */
@ConsoleCommand(scope = "muc", function = {"list", "info", "destroy"})
@Component(service = MucCommands.class)
public final class MucCommands {
    private final MucService muc;

    @Activate
    public MucCommands(@Reference MucService muc) {
        this.muc = muc;
    }

    @Descriptor("List the rooms of the chat service, with their occupants")
    public String list() {
        var all = muc.rooms().stream().sorted(Comparator.comparing((Room r) -> r.jid)).toList();
        if (all.isEmpty()) return "No rooms on " + String.join(", ", muc.domains()) + ".";
        StringBuilder sb = new StringBuilder(String.format("%-50s  %9s  %-10s  %-7s  %s%n", "ROOM", "OCCUPANTS", "KIND", "LISTED", "NAME"));
        for (Room r : all) {
            sb.append(String.format("%-50s  %9d  %-10s  %-7s  %s%n", r.jid, r.occupantCount(), r.isLocked() ? "locked" : r.config.persistent ? "persistent" : "temporary",
                    r.listed() ? "yes" : "no", r.name()));
        }
        return sb.toString().stripTrailing();
    }

    @Descriptor("Show a room: its configuration, affiliations and occupants")
    public String info(@Descriptor("the room, e.g. lobby@conference.example.org") String room) {
        Room r = find(room);
        StringBuilder sb = new StringBuilder();
        RoomConfig c = r.config;
        sb.append(r.jid).append(" \"").append(r.name()).append("\"").append(r.isLocked() ? " (locked: waiting for its owner's configuration)" : "").append('\n');
        sb.append("  created ").append(r.created).append(", ").append(c.persistent ? "persistent" : "temporary").append(", ").append(c.publicRoom ? "public" : "hidden")
                .append(", ").append(c.membersOnly ? "members only" : "open").append(", ").append(c.moderated ? "moderated" : "unmoderated").append(", ")
                .append(c.nonAnonymous() ? "non-anonymous" : "semi-anonymous").append(c.passwordProtected ? ", password" : "").append(", at most ")
                .append(c.maxUsers).append(" occupants, history ").append(c.historyLength).append('\n');
        sb.append("  affiliations:\n");
        for (Map.Entry<Jid, Affiliation> e : r.affiliations().entrySet()) sb.append("    ").append(e.getValue().value()).append("  ").append(e.getKey()).append('\n');
        sb.append("  occupants (").append(r.occupantCount()).append("):\n");
        for (String line : r.occupantLines()) sb.append("    ").append(line).append('\n');
        return sb.toString().stripTrailing();
    }

    @Descriptor("Destroy a room: its occupants are told why and it is gone, stored or not")
    public String destroy(@Descriptor("the room") String room, @Descriptor("the reason the occupants read") String... reason) {
        Room r = find(room);
        String why = reason.length == 0 ? "Destroyed by the server's administrator" : String.join(" ", reason);
        int n = r.occupantCount();
        r.destroy(null, why, null);
        return "Destroyed " + r.jid + " (" + n + (n == 1 ? " occupant" : " occupants") + " told: " + why + ")";
    }

    private Room find(String room) {
        Room r = muc.room(Jid.of(room));
        if (r == null) throw new IllegalArgumentException("There is no room " + room + " (see muc:list)");
        return r;
    }
}
