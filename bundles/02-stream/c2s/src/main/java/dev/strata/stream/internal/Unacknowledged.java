package dev.strata.stream.internal;

import java.time.Instant;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.Jid;
import dev.strata.api.stanza.Messages;
import dev.strata.api.stanza.Origin;
import dev.strata.api.stanza.Router;
import dev.strata.api.stanza.StanzaContext;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stream.StreamAcks;
import dev.strata.api.xml.Element;

/**
 * What happens to the stanzas a session's client never acknowledged (XEP-0198) when the session
 * ends: a message goes to the account's bare JID again, with a XEP-0203 delay stamp of when it was
 * first sent, so it reaches another available resource or offline storage, as if it had come
 * while the account was offline; an IQ request gets {@code service-unavailable} back to its sender;
 * presence is dropped (the contact's next presence, or the probe at next login, replaces it).
 * Carbon copies and archive results (from the account's own bare JID), messages in the account's
 * archive (a {@code <stanza-id by='account'/>}), groupchat, headline and error messages are
 * dropped: each has its own way back (carbons and the archive, the room's history).
 */
final class Unacknowledged {
    private static final Logger LOG = LoggerFactory.getLogger(Unacknowledged.class);
    static final String SID = "urn:xmpp:sid:0";

    private Unacknowledged() {
    }

    static void reroute(ClientSession session, List<StreamAcks.Unacked> stanzas, Router router) {
        if (stanzas.isEmpty()) return;
        Jid account = session.jid().bare();
        if (router == null) {
            LOG.warn("{} stanzas to {} were never acknowledged and routing is not available: they are lost", stanzas.size(), session.jid());
            return;
        }
        Origin server = Origin.of(account.domainJid(), reply -> LOG.debug("Dropped a reply to the server: {}", reply));
        // an error about a re-routed stanza (offline storage full, account deleted) goes to its sender
        Origin onBehalf = Origin.of(account.domainJid(), reply -> router.deliver(reply, server));
        int messages = 0, archived = 0;
        for (StreamAcks.Unacked u : stanzas) {
            Element e = u.stanza();
            String type = e.attribute("type");
            try {
                switch (e.name()) {
                    case "message" -> {
                        if ("error".equals(type) || "groupchat".equals(type) || "headline".equals(type)) continue;
                        if (account.toString().equals(e.attribute("from"))) continue; // a carbon copy or an archive result
                        // in the account's archive (XEP-0313 stamped it): its clients catch up from there, as Prosody's do
                        if (e.elements().anyMatch(c -> c.is("stanza-id", SID) && account.toString().equals(c.attribute("by")))) {
                            archived++;
                            continue;
                        }
                        router.deliver(readdressed(e, account, u.sentAtMillis()), StanzaContext.of(onBehalf).meta(StreamAcks.RESENT, true));
                        messages++;
                    }
                    case "iq" -> {
                        // a request from someone gets an answer; the server's own pushes (no 'from') need none
                        if (("get".equals(type) || "set".equals(type)) && e.attribute("from") != null && !account.toString().equals(e.attribute("from"))) {
                            router.deliver(StanzaError.SERVICE_UNAVAILABLE.replyTo(e, "The recipient's session ended before it took this", false), server);
                        }
                    }
                    default -> { }
                }
            } catch (RuntimeException ex) {
                LOG.error("A stanza {} never acknowledged could not be re-routed", session.jid(), ex);
            }
        }
        LOG.info("{} stanzas to {} were never acknowledged; {} messages went to {} again{}", stanzas.size(), session.jid(), messages, account,
                archived == 0 ? "" : " (" + archived + " more are in its archive)");
    }

    /** To the bare JID, stamped with when it was first sent (unless it carries a stamp of this server already). */
    static Element readdressed(Element message, Jid account, long sentAtMillis) {
        return Messages.delayed(message.toBuilder().attribute("to", account.toString()).build(), account.domain(),
                Instant.ofEpochMilli(sentAtMillis), "Not acknowledged by the client");
    }
}
