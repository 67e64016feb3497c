package dev.strata.api.storage;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.osgi.annotation.versioning.ProviderType;

import dev.strata.api.Jid;
import dev.strata.api.xml.Element;

/**
 * Message archives (XEP-0313): each archive (an account's bare JID, later a room's) is a list of
 * stanzas in the order they were archived, each with an id the store gives it (XEP-0359
 * {@code <stanza-id/>}), its time, and the JID of the other party. Queries page through it by id
 * in either direction and never scan it: each reads at most one page plus one row through an
 * index, whatever the archive holds. Every call may block on the database.
 */
@ProviderType
public interface ArchiveStore {
    /** One archived stanza. */
    record Entry(String id, Instant stamp, Jid with, Element stanza) {
    }

    /**
     * What to read: the other party ({@code with}: a bare JID matches all its resources, a full JID
     * that resource only; null: anyone), a time range (inclusive, null for open), ids strictly
     * after or before one ({@code afterId}, {@code beforeId}), only these ids ({@code ids}, empty:
     * any), at most {@code max} entries, and from which end: {@code fromEnd} reads the newest
     * matching page (RSM {@code <before/>}); entries come oldest first either way.
     */
    record Query(Jid with, Instant start, Instant end, String afterId, String beforeId, List<String> ids, int max, boolean fromEnd) {
        public Query {
            ids = ids == null ? List.of() : List.copyOf(ids);
            if (max < 0) throw new IllegalArgumentException("max must not be negative");
        }

        public static Query all(int max) {
            return new Query(null, null, null, null, null, List.of(), max, false);
        }
    }

    /** A page, oldest first, and whether it reaches the end of what matches in the direction read. */
    record Page(List<Entry> entries, boolean complete) {
    }

    /**
     * Archives a stanza; returns its new id. Every read of this store sees the stanza once this
     * returns; a store may write it behind (an SQL archive writes appends in batches, never in the
     * routing path): it is durable once {@link #written()} and then {@link SqlDatabase#durable()}
     * complete, which the stream layer waits for before it acknowledges the stanza.
     */
    String append(Jid archive, Jid with, Instant stamp, Element stanza);

    /**
     * Completes once every stanza appended before the call is written (committed); exceptionally
     * when one could not be, and then whoever acknowledges must not. The default: at once, for a
     * store whose {@link #append} writes before it returns.
     */
    default CompletionStage<Void> written() {
        return CompletableFuture.completedFuture(null);
    }

    /** A page of the archive; an {@code afterId} or {@code beforeId} that is not in it: {@link Optional#empty()}. */
    Optional<Page> query(Jid archive, Query query);

    /** Entry {@code id} of an archive; empty when it holds none by that id. */
    Optional<Entry> get(Jid archive, String id);

    /**
     * Replaces the stanza entry {@code id} archived (with a XEP-0424/XEP-0425 tombstone: a message
     * retracted), keeping its id, time and other party; false when the archive holds no such entry.
     */
    boolean replace(Jid archive, String id, Element stanza);

    /** The oldest and the newest entry of an archive (XEP-0313 metadata); empty when it holds none. */
    Optional<Entry> first(Jid archive);

    Optional<Entry> last(Jid archive);

    /** Where an archive begins and ends: the ids and times of its oldest and newest entries. */
    record Ends(String firstId, Instant firstStamp, String lastId, Instant lastStamp) {
    }

    /**
     * The ids and times of the oldest and newest entries, without reading their stanzas (XEP-0313
     * metadata, asked at every Bind 2 login); empty when the archive holds none. The default reads
     * the two entries.
     */
    default Optional<Ends> ends(Jid archive) {
        Optional<Entry> first = first(archive);
        Optional<Entry> last = last(archive);
        if (first.isEmpty() || last.isEmpty()) return Optional.empty();
        return Optional.of(new Ends(first.get().id(), first.get().stamp(), last.get().id(), last.get().stamp()));
    }

    /** Deletes one archive (its account is deleted); returns how many entries it held. */
    int delete(Jid archive);

    /** Deletes the entries of every archive on {@code domain} archived before {@code before}; returns how many. */
    int expire(String domain, Instant before);
}
