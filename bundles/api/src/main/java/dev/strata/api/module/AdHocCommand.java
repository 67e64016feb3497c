package dev.strata.api.module;

import org.osgi.annotation.versioning.ConsumerType;

import dev.strata.api.stanza.Origin;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.xml.Element;

/**
 * One XEP-0050 ad-hoc command of the server, found by the commands module through its service
 * properties: {@value #NODE} (e.g. {@code http://jabber.org/protocol/admin#add-user}),
 * {@value #NAME}, and {@value #ADMIN} (true: only the server's administrators see and run it).
 * A command is a form to fill in, then its completion.
 */
@ConsumerType
public interface AdHocCommand {
    String NODE = "strata.command.node";
    String NAME = "strata.command.name";
    String ADMIN = "strata.command.admin";

    /** What the command returns when it completes: a note for the user, and optionally a result form. */
    record Completion(String note, Element form) {
    }

    /** The {@code jabber:x:data} form of type {@code form} the requester fills in. */
    Element form(Origin from);

    /**
     * Runs the command with the submitted form (type {@code submit}).
     * @throws StanzaException with {@code bad-request} or another condition when the values are unusable
     */
    Completion complete(Element submitted, Origin from) throws StanzaException;
}
