package dev.strata.testkit;

import dev.strata.api.Jid;
import dev.strata.api.stanza.Iq;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.xml.Element;

/** IQs as the router hands them to a handler: 'from' stamped, 'to' the server's domain when the client gave none. */
public final class Iqs {
    private Iqs() {
    }

    public static Iq get(String from, String to, Element payload) {
        return iq("get", from, to, payload);
    }

    public static Iq set(String from, String to, Element payload) {
        return iq("set", from, to, payload);
    }

    /** {@code to} null: the client gave none, and the handler sees the sender's domain. */
    public static Iq iq(String type, String from, String to, Element payload) {
        Jid sender = Jid.of(from);
        Element.Builder b = Element.builder("iq", Iq.CLIENT_NS).attribute("type", type).attribute("id", "t1").attribute("from", from).child(payload);
        if (to != null) b.attribute("to", to);
        try {
            return Iq.of(b.build(), sender, to == null ? Jid.of(sender.domain()) : Jid.of(to));
        } catch (StanzaException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
