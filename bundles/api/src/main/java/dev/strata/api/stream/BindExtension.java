package dev.strata.api.stream;

import org.osgi.annotation.versioning.ConsumerType;

import dev.strata.api.stanza.Session;
import dev.strata.api.xml.Element;

/**
 * What a module adds to the XEP-0386 Bind 2 {@code <bound/>} of every session bound that way,
 * whether or not the client asked for anything inline: XEP-0313's {@code <metadata/>}, the state
 * of the account's archive at binding (§3), is one. The stream layer asks each registered
 * extension on the new session's worker, once it is bound and before the SASL2
 * {@code <success/>} is written; an extension unloaded is no longer asked.
 */
@ConsumerType
public interface BindExtension {
    /**
     * The session attribute ({@link Session#attribute(String)}, {@link Boolean#TRUE}) an archive
     * sets when it gave the client its {@code <metadata/>} at Bind 2: the client synchronises its
     * history from the archive, so offline storage drops, instead of delivering, the stored
     * messages the archive holds (those with the account's XEP-0359 {@code <stanza-id/>}; XEP-0386
     * §3: "clear the offline messages ... as they will be provided by MAM").
     */
    String ARCHIVE_SYNC = "urn:xmpp:bind:0#archive-sync";

    /**
     * The element for {@code <bound/>}, or null for none. Runs on the session's worker; may read
     * storage. A failure is logged and the element left out: the login goes on.
     */
    Element bound(Session session);
}
