package dev.strata.api.module;

import org.osgi.annotation.versioning.ConsumerType;

import dev.strata.api.stanza.Session;
import dev.strata.api.xml.Element;

/**
 * A per-session filter on what a client session sends and receives (Prosody's session filters):
 * client state indication holds back or folds what an inactive client receives, stream management
 * counts both ways. Registered as a whiteboard service; {@code service.ranking} orders filters,
 * highest first. {@link #outbound} runs on the thread that sends to the session and must not
 * block; {@link #inbound} runs on the session's worker.
 */
@ConsumerType
public interface SessionFilter {
    /** A stanza on its way to the client: the stanza to write (the same or a changed one), or null to hold it back. */
    Element outbound(Session session, Element stanza);

    /** A stanza the client sent, before it is routed. */
    default void inbound(Session session, Element stanza) {
    }
}
