package dev.strata.xep0133;

import java.util.List;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.strata.api.module.AdHocCommand;
import dev.strata.api.module.Command;
import dev.strata.api.stanza.Origin;
import dev.strata.api.stanza.Session;
import dev.strata.api.stanza.SessionRegistry;
import dev.strata.api.xml.DataForm;
import dev.strata.api.xml.Element;

/** XEP-0133 §4.23 Send Announcement to Online Users: a headline message from the server to every online session. */
@Command(node = Admin.NODE + "announce", name = "Send Announcement to Online Users")
@Component(service = AdHocCommand.class)
public final class Announce implements AdHocCommand {
    private final SessionRegistry sessions;

    @Activate
    public Announce(@Reference SessionRegistry sessions) {
        this.sessions = sessions;
    }

    @Override
    public Element form(Origin from) {
        return Admin.form("Making an Announcement", "Fill out this form to make an announcement to all active users of this service.")
                .child(DataForm.field("subject", "text-single", "Subject", false, List.of()))
                .child(DataForm.field("announcement", "text-multi", "Announcement", true, List.of())).build();
    }

    @Override
    public Completion complete(Element form, Origin from) throws dev.strata.api.stanza.StanzaException {
        String body = String.join("\n", DataForm.values(form, "announcement"));
        if (body.isBlank()) Admin.required(form, "announcement");
        String subject = DataForm.value(form, "subject").orElse(null);
        int sent = 0;
        for (Session s : sessions.all()) {
            if (!s.isOpen() || s.jid() == null) continue;
            Element.Builder m = Element.builder("message", "jabber:client").attribute("type", "headline")
                    .attribute("from", s.jid().domain()).attribute("to", s.jid().toString());
            if (subject != null) m.child(Element.builder("subject", "jabber:client").text(subject).build());
            s.send(m.child(Element.builder("body", "jabber:client").text(body).build()).build());
            sent++;
        }
        return new Completion("Announcement sent to " + sent + " sessions", null);
    }
}
