package dev.strata.api.stanza;

import java.time.Instant;
import java.util.Set;

import dev.strata.api.xml.Element;

/**
 * What modules ask of a message stanza alike: whether it carries something a person reads (a body
 * or an end-to-end encrypted payload), its XEP-0334 hints, and XEP-0203 delay stamps, added once
 * per stamping entity.
 */
public final class Messages {
    public static final String HINTS = "urn:xmpp:hints";
    public static final String DELAY = "urn:xmpp:delay";
    /** Payloads that stand for a body: OMEMO (XEP-0384, current and legacy) and OpenPGP (XEP-0373, legacy XEP-0027). */
    public static final Set<String> ENCRYPTED = Set.of("urn:xmpp:omemo:2", "eu.siacs.conversations.axolotl", "urn:xmpp:openpgp:0", "jabber:x:encrypted");

    private Messages() {
    }

    /** A body, or an encrypted payload in its place. */
    public static boolean hasContent(Element message) {
        if (message.child("body", Iq.CLIENT_NS).isPresent()) return true;
        for (Element c : message.elements().toList()) {
            if (ENCRYPTED.contains(c.namespace())) return true;
        }
        return false;
    }

    /** Whether the message carries the XEP-0334 hint {@code name} ({@code store}, {@code no-store}, {@code no-copy}, ...). */
    public static boolean hint(Element message, String name) {
        return message.child(name, HINTS).isPresent();
    }

    /** Whether {@code from} (a domain, for this server's stamps) stamped the stanza already (XEP-0203). */
    public static boolean stampedBy(Element stanza, String from) {
        for (var n : stanza.children()) {
            if (n instanceof Element e && e.is("delay", DELAY) && from.equals(e.attribute("from"))) return true;
        }
        return false;
    }

    /** A XEP-0203 delay element: {@code from} may be null (a forwarded stanza's), {@code reason} too. */
    public static Element delay(String from, Instant stamp, String reason) {
        Element.Builder b = Element.builder("delay", DELAY);
        if (from != null) b.attribute("from", from);
        b.attribute("stamp", stamp.toString());
        if (reason != null) b.text(reason);
        return b.build();
    }

    /** The stanza with a delay stamp of {@code from}, unless {@code from} stamped it already: the first stamp tells when it was first sent. */
    public static Element delayed(Element stanza, String from, Instant stamp, String reason) {
        return stampedBy(stanza, from) ? stanza : stanza.toBuilder().child(delay(from, stamp, reason)).build();
    }
}
