package dev.strata.xep0133;

import java.util.ArrayList;
import java.util.List;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.strata.api.Jid;
import dev.strata.api.auth.AccountStore;
import dev.strata.api.module.AdHocCommand;
import dev.strata.api.module.Command;
import dev.strata.api.server.ServerInfo;
import dev.strata.api.stanza.Origin;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.xml.DataForm;
import dev.strata.api.xml.Element;

/** XEP-0133 §4.2 Delete User: the accounts and everything stored for them; their sessions are closed. */
@Command(node = Admin.NODE + "delete-user", name = "Delete a User")
@Component(service = AdHocCommand.class)
public final class DeleteUser implements AdHocCommand {
    private final AccountStore accounts;
    private final ServerInfo server;

    @Activate
    public DeleteUser(@Reference AccountStore accounts, @Reference ServerInfo server) {
        this.accounts = accounts;
        this.server = server;
    }

    @Override
    public Element form(Origin from) {
        return Admin.form("Deleting a User", "Fill out this form to delete a user.")
                .child(DataForm.field("accountjids", "jid-multi", "The Jabber ID(s) to delete", true, List.of())).build();
    }

    @Override
    public Completion complete(Element form, Origin from) throws StanzaException {
        List<Jid> jids = Admin.accounts(form, "accountjids", server);
        for (Jid j : jids) if (!accounts.exists(j)) throw new StanzaException(StanzaError.ITEM_NOT_FOUND, "There is no account " + j);
        List<String> done = new ArrayList<>();
        for (Jid j : jids) {
            if (accounts.delete(j)) done.add(j.toString()); // its sessions end with it
        }
        return new Completion("Deleted: " + String.join(", ", done), null);
    }
}
