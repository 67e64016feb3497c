package dev.strata.api.module;

import org.osgi.annotation.versioning.ConsumerType;

import dev.strata.api.Jid;
import dev.strata.api.xml.Element;

/**
 * Told when a client stored one of its account's documents through a protocol module (XEP-0049
 * private XML, XEP-0054 vCard), after it is stored: modules that mirror a document elsewhere (the
 * XEP-0398 avatar and XEP-0411 bookmark conversions to PEP) follow it. Registered as a whiteboard
 * service; called on the client's worker, so it may block on storage; an exception is logged and
 * the client still gets its result. A module that writes such a document itself (through the
 * {@link dev.strata.api.storage.KeyValueStore}) tells nobody, so mirrors do not echo.
 */
@ConsumerType
public interface DocumentListener {
    /** XEP-0049 private XML storage: the key is the fragment's namespace, the document its {@code <query xmlns='jabber:iq:private'/>}. */
    String PRIVATE = "private";

    /** XEP-0054 vCard: the key is {@code current}, the document the {@code <vCard xmlns='vcard-temp'/>}. */
    String VCARD = "vcard";

    /** {@code account} stored {@code document} under {@code key} of {@code store} ({@link #PRIVATE}, {@link #VCARD}). */
    void stored(Jid account, String store, String key, Element document);

    /** Tells each listener, in turn; one that throws is logged and the others are still told. */
    static void tell(Iterable<DocumentListener> listeners, Jid account, String store, String key, Element document) {
        for (DocumentListener l : listeners) {
            try {
                l.stored(account, store, key, document);
            } catch (RuntimeException e) {
                System.getLogger(DocumentListener.class.getName()).log(System.Logger.Level.WARNING,
                        l.getClass().getName() + " failed on a stored " + store + " of " + account, e);
            }
        }
    }
}
