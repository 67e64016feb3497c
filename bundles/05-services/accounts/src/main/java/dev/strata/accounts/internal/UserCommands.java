package dev.strata.accounts.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.strata.api.Jid;
import dev.strata.api.auth.AccountStore;
import dev.strata.api.console.ConsoleCommand;
import dev.strata.api.server.ServerInfo;

/**
 * {@code user:add|delete|passwd|list}. A user is a bare JID ({@code alice@example.org}) or a
 * localpart of the default (first) domain. Only domains this server hosts are accepted.
 */
@ConsoleCommand(scope = "user", function = {"add", "delete", "passwd", "list"})
@Component(service = UserCommands.class)
public final class UserCommands {
    private final AccountStore accounts;
    private final ServerInfo server;

    @Activate
    public UserCommands(@Reference AccountStore accounts, @Reference ServerInfo server) {
        this.accounts = accounts;
        this.server = server;
    }

    Jid user(String name) {
        Jid jid = name.contains("@") ? Jid.of(name) : Jid.of(name, server.domains().getFirst(), null);
        if (jid.local() == null || !jid.isBare()) throw new IllegalArgumentException("An account is a bare JID such as alice@" + jid.domain());
        if (!server.hosts(jid.domain())) {
            throw new IllegalArgumentException("This server does not host " + jid.domain() + " (domains: " + String.join(", ", server.domains()) + ")");
        }
        return jid;
    }

    @Descriptor("Create an account")
    public String add(@Descriptor("user: alice@domain, or alice for the default domain") String name, @Descriptor("password") String password) {
        Jid jid = user(name);
        accounts.create(jid, password);
        return "Account " + jid + " created";
    }

    @Descriptor("Create an account, its password read as one line from the input (printf '%s\\n' PASSWORD | strata shell user:add alice@domain)")
    public String add(CommandSession session, @Descriptor("user: alice@domain, or alice for the default domain") String name) throws IOException {
        return add(name, passwordFrom(session));
    }

    @Descriptor("Delete an account")
    public String delete(@Descriptor("user") String name) {
        Jid jid = user(name);
        if (!accounts.delete(jid)) throw new IllegalStateException("There is no account " + jid);
        return "Account " + jid + " deleted";
    }

    @Descriptor("Set a new password")
    public String passwd(@Descriptor("user") String name, @Descriptor("new password") String password) {
        Jid jid = user(name);
        accounts.changePassword(jid, password);
        return "Password of " + jid + " changed";
    }

    @Descriptor("Set a new password, read as one line from the input")
    public String passwd(CommandSession session, @Descriptor("user") String name) throws IOException {
        return passwd(name, passwordFrom(session));
    }

    /**
     * One line of the session's input: a password that never appears on a command line (where the
     * console's parser would take quotes and backslashes in it for its own) or in a process list.
     */
    static String passwordFrom(CommandSession session) throws IOException {
        InputStream in = session.getKeyboard();
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b; (b = in.read()) >= 0 && b != '\n'; ) {
            if (line.size() > 4096) throw new IllegalArgumentException("The password line is longer than 4,096 bytes");
            line.write(b);
        }
        String password = line.toString(StandardCharsets.UTF_8);
        if (password.endsWith("\r")) password = password.substring(0, password.length() - 1);
        if (password.isEmpty()) {
            throw new IllegalArgumentException("No password: give it as the second argument, or as one line on the input "
                    + "(printf '%s\\n' PASSWORD | strata shell user:add alice@domain)");
        }
        return password;
    }

    @Descriptor("List the accounts of every hosted domain")
    public String list() {
        List<String> lines = new ArrayList<>();
        for (String domain : server.domains()) for (Jid j : accounts.list(domain)) lines.add(j.toString());
        return lines.isEmpty() ? "No accounts" : String.join("\n", lines);
    }

    @Descriptor("List the accounts of one domain")
    public String list(@Descriptor("domain") String domain) {
        if (!server.hosts(domain)) throw new IllegalArgumentException("This server does not host " + domain);
        List<Jid> users = accounts.list(domain);
        return users.isEmpty() ? "No accounts on " + domain : String.join("\n", users.stream().map(Jid::toString).toList());
    }
}
