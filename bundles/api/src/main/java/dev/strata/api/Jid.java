package dev.strata.api;

import java.net.IDN;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import rocks.xmpp.precis.PrecisProfiles;

/**
 * An XMPP address, {@code [localpart@]domainpart[/resourcepart]}, prepared and enforced as
 * RFC 7622 requires: the localpart by the PRECIS UsernameCaseMapped profile (RFC 8265) with the
 * characters RFC 7622 §3.3.1 forbids, the resourcepart by the OpaqueString profile, the domainpart
 * as an IDNA U-label string, lower case, NFC, without a trailing dot (§3.2), or an IP literal.
 * Each part is 1 to 1023 octets of UTF-8. Instances are immutable, compare by their
 * enforced form, and print in it.
 */
public final class Jid implements Comparable<Jid> {
    /** RFC 7622 §3.1: every part is at most 1023 octets once prepared. */
    public static final int MAX_PART_OCTETS = 1023;

    /**
     * Memo of {@link #of(String)}: every stanza's 'to' is a JID string, and PRECIS plus IDNA cost
     * microseconds each time (a third of the server's CPU per routed message, measured with JFR).
     * Parsing is a pure function of the string, so a hit is exactly what parsing would return.
     */
    private static final ConcurrentHashMap<String, Jid> PARSED = new ConcurrentHashMap<>();
    private static final int PARSED_LIMIT = 16_384;

    private final String local;
    private final String domain;
    private final String resource;
    private final String text;

    private Jid(String local, String domain, String resource) {
        this.local = local;
        this.domain = domain;
        this.resource = resource;
        StringBuilder sb = new StringBuilder();
        if (local != null) sb.append(local).append('@');
        sb.append(domain);
        if (resource != null) sb.append('/').append(resource);
        this.text = sb.toString();
    }

    /**
     * Parses and enforces a JID string (RFC 7622 §3.1: the first '/' starts the resourcepart,
     * the first '@' before it ends the localpart).
     *
     * @throws InvalidJidException naming the part and rule that failed
     */
    public static Jid of(String jid) {
        Objects.requireNonNull(jid, "jid");
        Jid known = PARSED.get(jid);
        if (known != null) return known;
        Jid parsed = parse(jid);
        if (PARSED.size() >= PARSED_LIMIT) PARSED.clear(); // a bound, not an LRU: refilling costs what parsing costs anyway
        PARSED.put(jid, parsed);
        return parsed;
    }

    private static Jid parse(String jid) {
        if (jid.isEmpty()) throw new InvalidJidException(jid, "A JID must not be empty");
        int slash = jid.indexOf('/');
        String resource = null;
        String rest = jid;
        if (slash >= 0) {
            resource = jid.substring(slash + 1);
            rest = jid.substring(0, slash);
            if (resource.isEmpty()) throw new InvalidJidException(jid, "The resourcepart after '/' must not be empty");
        }
        int at = rest.indexOf('@');
        String local = null;
        String domain = rest;
        if (at >= 0) {
            local = rest.substring(0, at);
            domain = rest.substring(at + 1);
            if (local.isEmpty()) throw new InvalidJidException(jid, "The localpart before '@' must not be empty");
        }
        return of(local, domain, resource, jid);
    }

    /**
     * Builds a JID from its parts; {@code local} and {@code resource} may be null.
     *
     * @throws InvalidJidException naming the part and rule that failed
     */
    public static Jid of(String local, String domain, String resource) {
        return of(local, domain, resource, null);
    }

    private static Jid of(String local, String domain, String resource, String input) {
        String shown = input != null ? input : (local == null ? "" : local + "@") + domain + (resource == null ? "" : "/" + resource);
        return new Jid(
                local == null ? null : enforceLocal(local, shown),
                enforceDomain(Objects.requireNonNull(domain, "domain"), shown),
                resource == null ? null : enforceResource(resource, shown));
    }

    /** Parses a JID, or returns empty when the string is not a valid JID. */
    public static Optional<Jid> tryParse(String jid) {
        try {
            return Optional.of(of(jid));
        } catch (InvalidJidException e) {
            return Optional.empty();
        }
    }

    private static String enforceLocal(String local, String input) {
        String prepared;
        try {
            prepared = PrecisProfiles.USERNAME_CASE_MAPPED.enforce(local);
        } catch (IllegalArgumentException e) {
            throw new InvalidJidException(input, "The localpart violates the UsernameCaseMapped profile (RFC 8265): " + e.getMessage(), e);
        }
        for (int i = 0; i < prepared.length(); i++) {
            char c = prepared.charAt(i);
            if ("\"&'/:<>@".indexOf(c) >= 0) {
                throw new InvalidJidException(input, "The localpart must not contain '" + c + "' (RFC 7622 §3.3.1)");
            }
        }
        return checkLength(prepared, "localpart", input);
    }

    private static String enforceResource(String resource, String input) {
        String prepared;
        try {
            prepared = PrecisProfiles.OPAQUE_STRING.enforce(resource);
        } catch (IllegalArgumentException e) {
            throw new InvalidJidException(input, "The resourcepart violates the OpaqueString profile (RFC 8265): " + e.getMessage(), e);
        }
        return checkLength(prepared, "resourcepart", input);
    }

    private static String enforceDomain(String domain, String input) {
        String d = domain;
        if (d.endsWith(".")) d = d.substring(0, d.length() - 1); // RFC 7622 §3.2: strip one trailing dot
        if (d.isEmpty()) throw new InvalidJidException(input, "The domainpart must not be empty");
        if (d.startsWith("[")) {
            if (!d.endsWith("]") || !isIpv6(d.substring(1, d.length() - 1))) {
                throw new InvalidJidException(input, "The domainpart '" + domain + "' is not a valid IPv6 literal");
            }
            return checkLength(d.toLowerCase(Locale.ROOT), "domainpart", input);
        }
        String unicode;
        try {
            // IDNA: validate (toASCII rejects labels over 63 octets, empty labels, bad hyphens) and
            // produce U-labels; then lower case and NFC as RFC 7622 §3.2.2 requires.
            IDN.toASCII(d, IDN.USE_STD3_ASCII_RULES);
            unicode = IDN.toUnicode(d, IDN.USE_STD3_ASCII_RULES);
        } catch (IllegalArgumentException e) {
            throw new InvalidJidException(input, "The domainpart '" + domain + "' is not a valid domain name: " + e.getMessage(), e);
        }
        String prepared = Normalizer.normalize(unicode.toLowerCase(Locale.ROOT), Normalizer.Form.NFC);
        // the prepared form is what others parse again: it must be a domain name too (lower case can
        // map a valid letter to one IDNA 2003 does not know, e.g. U+13C3 to U+AB93); when preparing
        // changed nothing (the usual lower-case domain) it was checked above already
        if (!prepared.equals(d)) {
            try {
                IDN.toASCII(prepared, IDN.USE_STD3_ASCII_RULES);
            } catch (IllegalArgumentException e) {
                throw new InvalidJidException(input, "The domainpart '" + domain + "' in lower case is not a valid domain name: " + e.getMessage(), e);
            }
        }
        for (String label : prepared.split("\\.", -1)) {
            if (label.isEmpty()) throw new InvalidJidException(input, "The domainpart '" + domain + "' has an empty label");
        }
        return checkLength(prepared, "domainpart", input);
    }

    private static boolean isIpv6(String s) {
        if (s.isEmpty() || s.indexOf(':') < 0) return false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = c == ':' || c == '.' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
            if (!ok) return false;
        }
        try {
            return java.net.InetAddress.ofLiteral(s) instanceof java.net.Inet6Address;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static String checkLength(String part, String name, String input) {
        if (part.isEmpty()) throw new InvalidJidException(input, "The " + name + " must not be empty");
        int octets = part.getBytes(StandardCharsets.UTF_8).length;
        if (octets > MAX_PART_OCTETS) {
            throw new InvalidJidException(input, "The " + name + " is " + octets + " octets long; at most " + MAX_PART_OCTETS + " are allowed (RFC 7622 §3.1)");
        }
        return part;
    }

    /** The localpart, or null for a domain JID. */
    public String local() {
        return local;
    }

    public String domain() {
        return domain;
    }

    /** The resourcepart, or null for a bare JID. */
    public String resource() {
        return resource;
    }

    public boolean isBare() {
        return resource == null;
    }

    public boolean isDomain() {
        return local == null && resource == null;
    }

    /** This JID without its resourcepart. */
    public Jid bare() {
        return resource == null ? this : new Jid(local, domain, null);
    }

    /** This JID's domain alone ({@code example.org}), already prepared: nothing is checked again. */
    public Jid domainJid() {
        return isDomain() ? this : new Jid(null, domain, null);
    }

    /** This JID with another resourcepart, enforced. */
    public Jid withResource(String newResource) {
        return new Jid(local, domain, enforceResource(newResource, text + "/" + newResource));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Jid j && text.equals(j.text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    @Override
    public int compareTo(Jid o) {
        return text.compareTo(o.text);
    }

    /** The enforced string form. */
    @Override
    public String toString() {
        return text;
    }
}
