package dev.strata.xep0133;

import java.util.ArrayList;
import java.util.List;

import dev.strata.api.InvalidJidException;
import dev.strata.api.Jid;
import dev.strata.api.server.ServerInfo;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.xml.DataForm;
import dev.strata.api.xml.Element;

/** What the XEP-0133 commands share: the form type, and reading account JIDs from submitted forms. */
final class Admin {
    static final String FORM_TYPE = "http://jabber.org/protocol/admin";
    static final String NODE = "http://jabber.org/protocol/admin#";

    private Admin() {
    }

    static Element.Builder form(String title, String instructions) {
        return DataForm.form("form", FORM_TYPE, title).child(Element.builder("instructions", DataForm.NS).text(instructions).build());
    }

    static String required(Element form, String var) throws StanzaException {
        return DataForm.value(form, var).orElseThrow(() -> new StanzaException(StanzaError.BAD_REQUEST, "The field '" + var + "' is required"));
    }

    /** A bare JID of a domain this server hosts. */
    static Jid account(String value, ServerInfo server) throws StanzaException {
        Jid jid;
        try {
            jid = Jid.of(value.strip());
        } catch (InvalidJidException e) {
            throw new StanzaException(StanzaError.JID_MALFORMED, "'" + value + "' is not a valid JID: " + e.getMessage());
        }
        if (jid.local() == null || !jid.isBare()) throw new StanzaException(StanzaError.BAD_REQUEST, "An account is a bare JID like user@" + jid.domain());
        if (!server.hosts(jid.domain())) throw new StanzaException(StanzaError.NOT_ALLOWED, "This server does not host " + jid.domain());
        return jid;
    }

    static List<Jid> accounts(Element form, String var, ServerInfo server) throws StanzaException {
        List<Jid> list = new ArrayList<>();
        for (String v : DataForm.values(form, var)) if (!v.isBlank()) list.add(account(v, server));
        if (list.isEmpty()) throw new StanzaException(StanzaError.BAD_REQUEST, "The field '" + var + "' is required");
        return list;
    }
}
