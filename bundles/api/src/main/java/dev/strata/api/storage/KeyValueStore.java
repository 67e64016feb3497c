package dev.strata.api.storage;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

import dev.strata.api.Jid;
import dev.strata.api.xml.Element;
import dev.strata.api.xml.XmlWriter;

/**
 * XML documents per account, in named stores (Prosody's "keyval" stores): a module picks a store
 * name ({@code roster}, {@code vcard}, {@code private}) and keys within it. Deleting an account
 * deletes its documents. Every method may block on the database: call it from a session's worker,
 * and throws {@link StorageException} when the database fails.
 */
@ProviderType
public interface KeyValueStore {
    /**
     * The most characters one document may take serialized as XML. {@link #put} refuses a larger
     * one; a store reads back every document it accepted (its own limits, not a stream's).
     */
    int MAX_DOCUMENT_CHARS = 1_000_000;

    /**
     * The document as a store keeps it, serialized as XML; what implementations of {@link #put}
     * store and measure.
     *
     * @throws DocumentTooLargeException when it is longer than {@link #MAX_DOCUMENT_CHARS}
     */
    static String serialize(Element document) {
        String xml = XmlWriter.toString(document, "");
        if (xml.length() > MAX_DOCUMENT_CHARS) throw new DocumentTooLargeException(xml.length(), MAX_DOCUMENT_CHARS);
        return xml;
    }

    /** How much one store of a user holds: documents, and their serialized size in characters. */
    record Usage(int documents, long chars) {
    }

    /**
     * The document under {@code key}. A stored document that cannot be read (written by hand, or by
     * an older version with other rules) is logged and reads as absent: it never breaks its reader.
     */
    Optional<Element> get(Jid user, String store, String key);

    /**
     * Stores or replaces a document, atomically (an upsert: two concurrent puts never fail on each
     * other), and returns once the write survives a crash of the server.
     *
     * @throws DocumentTooLargeException when the document serializes to more than {@link #MAX_DOCUMENT_CHARS}; nothing is stored
     */
    void put(Jid user, String store, String key, Element document);

    /**
     * Stores or replaces, for each user, its document under the same store and key, in one
     * transaction where the store can (one commit for all), and returns once the writes survive a
     * crash of the server: for a module that gathers many small writes (a logout time per account,
     * say) into one. A user whose account is gone by then is skipped; the others are stored.
     *
     * @throws DocumentTooLargeException when a document serializes to more than {@link #MAX_DOCUMENT_CHARS}; nothing is stored
     */
    default void putEach(String store, String key, Map<Jid, Element> documents) {
        documents.forEach((user, document) -> put(user, store, key, document));
    }

    /** False when there was nothing to delete. */
    boolean delete(Jid user, String store, String key);

    /** Deletes these keys of one store of a user, in one transaction; returns how many there were. */
    int delete(Jid user, String store, Collection<String> keys);

    /**
     * Every document of one store of a user, by key, keys sorted. An unreadable document is logged
     * and left out; the others are all there.
     */
    Map<String, Element> getAll(Jid user, String store);

    /** What one store of a user holds, counted without reading the documents. */
    Usage usage(Jid user, String store);

    /** The keys of one store of a user, sorted, without reading the documents. */
    List<String> keys(Jid user, String store);
}
