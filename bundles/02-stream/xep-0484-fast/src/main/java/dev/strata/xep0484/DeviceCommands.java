package dev.strata.xep0484;

import java.util.List;
import java.util.Locale;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.strata.api.Jid;
import dev.strata.api.auth.FastTokens;
import dev.strata.api.console.ConsoleCommand;

/** {@code user:devices} and {@code user:revoke}: the clients that log in to an account with FAST tokens. */
@ConsoleCommand(scope = "user", function = {"devices", "revoke"})
@Component(service = DeviceCommands.class)
public final class DeviceCommands {
    private final FastTokens tokens;

    @Activate
    public DeviceCommands(@Reference FastTokens tokens) {
        this.tokens = tokens;
    }

    @Descriptor("List the clients of an account that hold FAST login tokens, most recently used first")
    public String devices(@Descriptor("the account, e.g. alice@example.org") String jid) {
        List<FastTokens.Device> all = tokens.devices(Jid.of(jid).bare());
        if (all.isEmpty()) return jid + " has no clients with FAST tokens.";
        StringBuilder sb = new StringBuilder(String.format("%-36s  %-24s  %-20s  %-15s  %-20s  %s%n", "DEVICE", "SOFTWARE", "DEVICE NAME", "MECHANISM", "LAST USED", "EXPIRES"));
        for (FastTokens.Device d : all) {
            sb.append(String.format("%-36s  %-24s  %-20s  %-15s  %-20s  %s%n", d.client().id(), clip(d.client().software(), 24), clip(d.client().device(), 20),
                    d.mechanism(), d.lastUsed() == null ? "never" : d.lastUsed().toString(), d.expiry() == null ? "-" : d.expiry().toString()));
        }
        return sb.toString().stripTrailing();
    }

    @Descriptor("Revoke the FAST tokens of one client of an account (it logs in with its password next time)")
    public String revoke(@Descriptor("the account") String jid, @Descriptor("the client's DEVICE id, as user:devices lists it; 'all' for every client") String device) {
        Jid account = Jid.of(jid).bare();
        if (device.equals("all")) {
            int n = tokens.revokeAll(account);
            return "Revoked the tokens of " + n + (n == 1 ? " client" : " clients") + " of " + account;
        }
        if (!tokens.revoke(account, device.toLowerCase(Locale.ROOT))) throw new IllegalArgumentException(account + " has no client " + device + " (see user:devices " + account + ")");
        return "Revoked the tokens of " + device + " of " + account;
    }

    private static String clip(String s, int n) {
        return s == null ? "" : s.length() > n ? s.substring(0, n - 1) + "…" : s;
    }
}
