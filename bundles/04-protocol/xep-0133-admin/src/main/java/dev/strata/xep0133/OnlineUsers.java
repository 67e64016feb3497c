package dev.strata.xep0133;

import java.util.List;
import java.util.TreeSet;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.strata.api.module.AdHocCommand;
import dev.strata.api.module.Command;
import dev.strata.api.stanza.Origin;
import dev.strata.api.stanza.Session;
import dev.strata.api.stanza.SessionRegistry;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.xml.DataForm;
import dev.strata.api.xml.Element;

/** XEP-0133 §4.22 Get List of Online Users (also under ejabberd's node name get-online-users): bare JIDs, sorted. */
@Command(node = Admin.NODE + "get-online-users-list", name = "Get List of Online Users")
@Component(service = AdHocCommand.class)
public final class OnlineUsers implements AdHocCommand {
    private final SessionRegistry sessions;

    @Activate
    public OnlineUsers(@Reference SessionRegistry sessions) {
        this.sessions = sessions;
    }

    @Override
    public Element form(Origin from) {
        Element.Builder max = Element.builder("field", DataForm.NS).attribute("var", "max_items").attribute("type", "list-single")
                .attribute("label", "Maximum number of items to show");
        for (String v : List.of("25", "50", "75", "100", "150", "200", "none")) {
            max.child(Element.builder("option", DataForm.NS).attribute("label", v).child(Element.builder("value", DataForm.NS).text(v).build()).build());
        }
        return Admin.form("Requesting List of Online Users", "Fill out this form to request the online users of this service.").child(max.build()).build();
    }

    @Override
    public Completion complete(Element form, Origin from) throws StanzaException {
        String max = DataForm.value(form, "max_items").orElse("none");
        int limit;
        try {
            limit = max.equals("none") ? Integer.MAX_VALUE : Integer.parseInt(max);
        } catch (NumberFormatException e) {
            throw new StanzaException(StanzaError.BAD_REQUEST, "max_items must be a number or 'none'");
        }
        TreeSet<String> online = new TreeSet<>();
        for (Session s : sessions.all()) if (s.isOpen() && s.jid() != null) online.add(s.jid().bare().toString());
        List<String> shown = online.stream().limit(limit).toList();
        Element result = DataForm.form("result", Admin.FORM_TYPE, null)
                .child(DataForm.field("onlineuserjids", "jid-multi", "The list of all online users", false, shown)).build();
        return new Completion(null, result);
    }
}
