package dev.strata.api.storage;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

import dev.strata.api.Jid;
import dev.strata.api.xml.Element;

/**
 * XML documents per account, in named stores (Prosody's "keyval" stores): a module picks a store
 * name ({@code roster}, {@code vcard}, {@code private}) and keys within it. Deleting an account
 * deletes its documents. Every method may block on the database: call it from a session's worker,
 * and throws {@link StorageException} when the database fails.
 */
@ProviderType
public interface KeyValueStore {
    Optional<Element> get(Jid user, String store, String key);

    /** Stores or replaces a document, atomically (an upsert: two concurrent puts never fail on each other). */
    void put(Jid user, String store, String key, Element document);

    /** False when there was nothing to delete. */
    boolean delete(Jid user, String store, String key);

    /** Every document of one store of a user, by key, keys sorted. */
    Map<String, Element> getAll(Jid user, String store);

    /** The keys of one store of a user, sorted, without reading the documents. */
    List<String> keys(Jid user, String store);
}
