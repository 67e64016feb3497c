package dev.strata.accounts.internal;

import java.time.Instant;
import java.util.List;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.strata.api.auth.LoginThrottle;
import dev.strata.api.console.ConsoleCommand;

/** {@code auth:lockouts} and {@code auth:clear}: the failed logins the server holds against addresses and accounts. */
@ConsoleCommand(scope = "auth", function = {"lockouts", "clear"})
@Component(service = AuthCommands.class)
public final class AuthCommands {
    private final LoginThrottle throttle;

    @Activate
    public AuthCommands(@Reference LoginThrottle throttle) {
        this.throttle = throttle;
    }

    /** auth:lockouts — what is locked now, and what has recent failures. */
    @Descriptor("List addresses and accounts with recent failed logins, locked ones first")
    public String lockouts() {
        List<LoginThrottle.Lockout> all = throttle.lockouts();
        if (all.isEmpty()) return "No recent failed logins.";
        long now = Instant.now().toEpochMilli();
        StringBuilder sb = new StringBuilder(String.format("%-39s  %-40s  %8s  %s%n", "ADDRESS", "ACCOUNT", "FAILURES", "LOCKED"));
        for (LoginThrottle.Lockout l : all) {
            sb.append(String.format("%-39s  %-40s  %8d  %s%n", l.address() == null ? "(any)" : l.address(), l.account() == null ? "(any)" : l.account(),
                    l.failures(), l.lockedUntil() == null ? "-" : "for " + Math.max(1, (l.lockedUntil().toEpochMilli() - now + 999) / 1000) + " s"));
        }
        return sb.toString().stripTrailing();
    }

    /** auth:clear ADDRESS|JID — forget the failures (and lift the locks) of an address or an account. */
    @Descriptor("Lift the locks of an address or an account and forget its failed logins")
    public String clear(@Descriptor("an IP address, or an account's JID") String who) {
        int n = throttle.clear(who);
        return n == 0 ? "Nothing recorded for " + who : "Cleared " + n + (n == 1 ? " record" : " records") + " of " + who;
    }
}
