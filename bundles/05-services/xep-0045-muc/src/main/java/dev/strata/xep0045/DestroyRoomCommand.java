package dev.strata.xep0045;

import java.util.List;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.strata.api.InvalidJidException;
import dev.strata.api.Jid;
import dev.strata.api.module.AdHocCommand;
import dev.strata.api.module.Command;
import dev.strata.api.stanza.Origin;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.xml.DataForm;
import dev.strata.api.xml.Element;

/**
 * An ad-hoc command (XEP-0050) of the server for its administrators, as Prosody's MUC has one:
 * destroy a room, its occupants told why; {@code muc:destroy} in the console does the same.
 */
@Command(node = DestroyRoomCommand.NODE, name = "Destroy a chat room")
@Component(service = AdHocCommand.class)
public final class DestroyRoomCommand implements AdHocCommand {
    static final String NODE = "http://strata.dev/protocol/muc#destroy";
    private final MucService muc;

    @Activate
    public DestroyRoomCommand(@Reference MucService muc) {
        this.muc = muc;
    }

    @Override
    public Element form(Origin from) {
        return DataForm.form("form", null, "Destroy a chat room")
                .child(Element.builder("instructions", DataForm.NS).text("The room's occupants are told the reason; its configuration, members and archive are deleted.").build())
                .child(DataForm.field("room", "jid-single", "The room, e.g. lobby@" + String.join(" or lobby@", muc.domains()), true, List.of()))
                .child(DataForm.field("reason", "text-single", "The reason its occupants read", false, List.of())).build();
    }

    @Override
    public Completion complete(Element submitted, Origin from) throws StanzaException {
        String text = DataForm.value(submitted, "room").orElseThrow(() -> new StanzaException(StanzaError.BAD_REQUEST, "Name the room to destroy"));
        Room room;
        try {
            room = muc.room(Jid.of(text.strip()));
        } catch (InvalidJidException e) {
            throw new StanzaException(StanzaError.JID_MALFORMED, "'" + text + "' is not a room's JID: " + e.getMessage());
        }
        if (room == null) throw new StanzaException(StanzaError.ITEM_NOT_FOUND, "There is no room " + text);
        String reason = DataForm.value(submitted, "reason").orElse("Destroyed by the server's administrator");
        int n = room.occupantCount();
        room.destroy(null, reason, null);
        return new Completion("Destroyed " + room.jid + " (" + n + (n == 1 ? " occupant" : " occupants") + " told: " + reason + ")", null);
    }
}
