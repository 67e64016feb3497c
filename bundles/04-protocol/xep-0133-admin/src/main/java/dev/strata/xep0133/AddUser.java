package dev.strata.xep0133;

import java.util.List;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.strata.api.Jid;
import dev.strata.api.auth.AccountExistsException;
import dev.strata.api.auth.AccountStore;
import dev.strata.api.module.AdHocCommand;
import dev.strata.api.module.Command;
import dev.strata.api.server.ServerInfo;
import dev.strata.api.stanza.Origin;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.xml.DataForm;
import dev.strata.api.xml.Element;

/** XEP-0133 §4.1 Add User. */
@Command(node = Admin.NODE + "add-user", name = "Add a User")
@Component(service = AdHocCommand.class)
public final class AddUser implements AdHocCommand {
    private final AccountStore accounts;
    private final ServerInfo server;

    @Activate
    public AddUser(@Reference AccountStore accounts, @Reference ServerInfo server) {
        this.accounts = accounts;
        this.server = server;
    }

    @Override
    public Element form(Origin from) {
        return Admin.form("Adding a User", "Fill out this form to add a user.")
                .child(DataForm.field("accountjid", "jid-single", "The Jabber ID for the account to be added", true, List.of()))
                .child(DataForm.field("password", "text-private", "The password for this account", true, List.of()))
                .child(DataForm.field("password-verify", "text-private", "Retype password", true, List.of()))
                .child(DataForm.field("email", "text-single", "Email address", false, List.of()))
                .child(DataForm.field("given_name", "text-single", "Given name", false, List.of()))
                .child(DataForm.field("surname", "text-single", "Family name", false, List.of())).build();
    }

    @Override
    public Completion complete(Element form, Origin from) throws StanzaException {
        Jid jid = Admin.account(Admin.required(form, "accountjid"), server);
        String password = Admin.required(form, "password");
        if (!password.equals(DataForm.value(form, "password-verify").orElse(password))) {
            throw new StanzaException(StanzaError.BAD_REQUEST, "The passwords do not match");
        }
        try {
            accounts.create(jid, password);
        } catch (AccountExistsException e) {
            throw new StanzaException(StanzaError.CONFLICT, "The account " + jid + " exists already");
        } catch (IllegalArgumentException e) {
            throw new StanzaException(StanzaError.NOT_ACCEPTABLE, e.getMessage());
        }
        return new Completion("Account " + jid + " created", null);
    }
}
