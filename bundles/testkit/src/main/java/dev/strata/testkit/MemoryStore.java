package dev.strata.testkit;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import dev.strata.api.Jid;
import dev.strata.api.storage.KeyValueStore;
import dev.strata.api.xml.Element;
import dev.strata.api.xml.XmlWriter;

/** A key-value store in memory, with the contract of the JDBC one (keys sorted). */
public class MemoryStore implements KeyValueStore {
    private final Map<String, TreeMap<String, Element>> stores = new ConcurrentHashMap<>();

    private TreeMap<String, Element> store(Jid user, String store) {
        return stores.computeIfAbsent(user.bare() + "\u0000" + store, k -> new TreeMap<>());
    }

    @Override
    public synchronized Optional<Element> get(Jid user, String store, String key) {
        return Optional.ofNullable(store(user, store).get(key));
    }

    @Override
    public synchronized void put(Jid user, String store, String key, Element document) {
        KeyValueStore.serialize(document); // the same refusal as a database store
        store(user, store).put(key, document);
    }

    @Override
    public synchronized int delete(Jid user, String store, Collection<String> keys) {
        int n = 0;
        for (String k : keys) n += store(user, store).remove(k) != null ? 1 : 0;
        return n;
    }

    @Override
    public synchronized Usage usage(Jid user, String store) {
        TreeMap<String, Element> docs = store(user, store);
        return new Usage(docs.size(), docs.values().stream().mapToLong(d -> XmlWriter.toString(d, "").length()).sum());
    }

    @Override
    public synchronized boolean delete(Jid user, String store, String key) {
        return delete(user, store, List.of(key)) > 0;
    }

    @Override
    public synchronized Map<String, Element> getAll(Jid user, String store) {
        return new TreeMap<>(store(user, store));
    }

    @Override
    public synchronized List<String> keys(Jid user, String store) {
        return new ArrayList<>(store(user, store).keySet());
    }
}
