package dev.strata.xep0133;

import java.util.List;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.strata.api.Jid;
import dev.strata.api.auth.AccountStore;
import dev.strata.api.auth.NoSuchAccountException;
import dev.strata.api.module.AdHocCommand;
import dev.strata.api.module.Command;
import dev.strata.api.server.ServerInfo;
import dev.strata.api.stanza.Origin;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.xml.DataForm;
import dev.strata.api.xml.Element;

/** XEP-0133 §4.7 Change User Password. */
@Command(node = Admin.NODE + "change-user-password", name = "Change User Password")
@Component(service = AdHocCommand.class)
public final class ChangeUserPassword implements AdHocCommand {
    private final AccountStore accounts;
    private final ServerInfo server;

    @Activate
    public ChangeUserPassword(@Reference AccountStore accounts, @Reference ServerInfo server) {
        this.accounts = accounts;
        this.server = server;
    }

    @Override
    public Element form(Origin from) {
        return Admin.form("Changing a User Password", "Fill out this form to change a user's password.")
                .child(DataForm.field("accountjid", "jid-single", "The Jabber ID for this account", true, List.of()))
                .child(DataForm.field("password", "text-private", "The password for this account", true, List.of())).build();
    }

    @Override
    public Completion complete(Element form, Origin from) throws StanzaException {
        Jid jid = Admin.account(Admin.required(form, "accountjid"), server);
        String password = Admin.required(form, "password");
        try {
            accounts.changePassword(jid, password);
        } catch (NoSuchAccountException e) {
            throw new StanzaException(StanzaError.ITEM_NOT_FOUND, "There is no account " + jid);
        } catch (IllegalArgumentException e) {
            throw new StanzaException(StanzaError.NOT_ACCEPTABLE, e.getMessage());
        }
        return new Completion("Password of " + jid + " changed", null);
    }
}
