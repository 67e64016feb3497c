package dev.strata.config.check;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;

import dev.strata.api.InvalidJidException;
import dev.strata.api.Jid;

/**
 * Values whose metatype type says too little, checked by the attribute's id, the same in every
 * configuration: {@code bind} is an IP address this machine can listen on, {@code domains} are
 * XMPP domains, {@code admins} are bare JIDs of accounts. Both {@code strata check} and the running
 * server check them here, so what one accepts the other does.
 */
final class Formats {
    private Formats() {
    }

    /** Why {@code value} (one value of attribute {@code id}) is not acceptable, or null. */
    static String check(String id, String value) {
        String v = value.strip();
        return switch (id) {
            case "bind" -> address(v);
            case "domains" -> domain(v);
            case "admins" -> admin(v);
            default -> null;
        };
    }

    private static String address(String v) {
        if (v.equals("localhost")) return null;
        InetAddress a;
        try {
            a = InetAddress.ofLiteral(v); // no DNS: a name would be looked up at every start
        } catch (IllegalArgumentException e) {
            return "'" + v + "' is not an IP address: use an address of this machine, 0.0.0.0 or :: for all, or 127.0.0.1";
        }
        if (a.isAnyLocalAddress() || a.isLoopbackAddress()) return null;
        try {
            if (NetworkInterface.getByInetAddress(a) != null) return null;
        } catch (SocketException e) {
            return "cannot list this machine's addresses to check " + v + ": " + e.getMessage();
        }
        return v + " is not an address of this machine: nothing could listen on it";
    }

    private static String domain(String v) {
        try {
            Jid j = Jid.of(v);
            if (j.local() != null || j.resource() != null) return "'" + v + "' is not a domain (no '@' or '/'): e.g. example.org";
            return null;
        } catch (InvalidJidException e) {
            return "'" + v + "' is not a valid domain: " + e.getMessage();
        }
    }

    private static String admin(String v) {
        try {
            Jid j = Jid.of(v);
            if (j.local() == null || j.resource() != null) return "'" + v + "' is not the bare JID of an account: e.g. admin@example.org";
            return null;
        } catch (InvalidJidException e) {
            return "'" + v + "' is not a valid JID: " + e.getMessage();
        }
    }
}
