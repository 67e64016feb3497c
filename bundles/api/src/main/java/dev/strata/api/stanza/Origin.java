package dev.strata.api.stanza;

import java.util.function.Consumer;

import org.osgi.annotation.versioning.ConsumerType;

import dev.strata.api.Jid;
import dev.strata.api.xml.Element;

/**
 * Where a stanza the {@link Router} handles comes from: a client {@link Session}, a service hosted
 * on a domain (a room, a pubsub node), a remote server's stream, or the server itself. The router
 * sends error replies and IQ results to it.
 */
@ConsumerType
public interface Origin {
    /** The address stanzas from this origin carry in 'from' (a session's full JID, a room's JID, a domain). */
    Jid jid();

    /** Takes a stanza addressed back to this origin (an error reply, an IQ result); never blocks. */
    void send(Element stanza);

    /** An origin that is not a client session: replies to it go to {@code replies}. */
    static Origin of(Jid address, Consumer<Element> replies) {
        return new Origin() {
            @Override
            public Jid jid() {
                return address;
            }

            @Override
            public void send(Element stanza) {
                replies.accept(stanza);
            }

            @Override
            public String toString() {
                return address.toString();
            }
        };
    }
}
