package dev.strata.api.storage;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import dev.strata.api.InvalidJidException;
import dev.strata.api.Jid;
import dev.strata.api.stanza.Messages;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.xml.DataForm;
import dev.strata.api.xml.Element;

/**
 * The XEP-0313 query protocol ({@code urn:xmpp:mam:2}) over an {@link ArchiveStore}, for whoever
 * answers queries to an archive: an account's (the archive module) or a room's (the chat
 * service). {@link #parse} reads a {@code <query/>} with its form and XEP-0059 paging; then
 * {@link #run} reads the page and gives the result messages and the {@code <fin/>}.
 *
 * @param queryId the client's {@code queryid}, echoed in each result
 * @param query what to read from the archive
 * @param flip XEP-0313 {@code <flip-page/>}: the page's entries newest first
 */
public record MamQuery(String queryId, ArchiveStore.Query query, boolean flip) {
    public static final String NS = "urn:xmpp:mam:2";
    public static final String EXTENDED = "urn:xmpp:mam:2#extended";
    public static final String RSM = "http://jabber.org/protocol/rsm";
    public static final String FORWARD = "urn:xmpp:forward:0";
    /** XEP-0359 unique and stable stanza ids: what an archive stamps on what it keeps. */
    public static final String SID = "urn:xmpp:sid:0";
    private static final String CLIENT = "jabber:client";
    private static final Set<String> FIELDS = Set.of("FORM_TYPE", "with", "start", "end", "before-id", "after-id", "ids");

    /** What a query gives: the result messages (to send before the answer) and the answer's {@code <fin/>}. */
    public record Answer(List<Element> results, Element fin) {
    }

    /** §4.1.1: the form of the fields a query may use (the answer to a {@code <query/>} get). */
    public static Element form() {
        Element.Builder x = DataForm.form("form", NS, null);
        x.child(DataForm.field("with", "jid-single", null, false, List.of()));
        x.child(DataForm.field("start", "text-single", null, false, List.of()));
        x.child(DataForm.field("end", "text-single", null, false, List.of()));
        x.child(DataForm.field("before-id", "text-single", null, false, List.of()));
        x.child(DataForm.field("after-id", "text-single", null, false, List.of()));
        x.child(DataForm.field("ids", "list-multi", null, false, List.of()));
        return Element.builder("query", NS).child(x.build()).build();
    }

    /**
     * Reads a {@code <query/>}: its form (with, start, end, before-id, after-id, ids) and paging
     * ({@code <max/>}, {@code <after/>}, {@code <before/>}, empty for the newest page).
     *
     * @param pageSize entries in a page when the query does not ask for a number
     * @param maxPageSize the most a query gets, whatever it asks
     * @throws StanzaException {@code bad-request} for an unknown field or a bad value,
     *         {@code feature-not-implemented} for paging by index
     */
    public static MamQuery parse(Element query, int pageSize, int maxPageSize) throws StanzaException {
        Jid with = null;
        Instant start = null, end = null;
        String afterId = null, beforeId = null;
        List<String> ids = List.of();
        Optional<Element> form = query.child("x", DataForm.NS);
        if (form.isPresent()) {
            for (Element field : form.get().elements().filter(e -> e.name().equals("field")).toList()) {
                String var = field.attribute("var");
                if (var == null || !FIELDS.contains(var)) {
                    throw new StanzaException(StanzaError.BAD_REQUEST, "Unknown field '" + var + "'; a query may use " + String.join(", ", FIELDS.stream().sorted().toList()));
                }
            }
            Optional<String> formType = DataForm.value(form.get(), "FORM_TYPE");
            if (formType.isPresent() && !formType.get().equals(NS)) throw new StanzaException(StanzaError.BAD_REQUEST, "FORM_TYPE must be " + NS);
            Optional<String> w = DataForm.value(form.get(), "with");
            if (w.isPresent()) {
                try {
                    with = Jid.of(w.get());
                } catch (InvalidJidException e) {
                    throw new StanzaException(StanzaError.BAD_REQUEST, "'with' is not a JID: " + e.getMessage());
                }
            }
            start = instant(form.get(), "start");
            end = instant(form.get(), "end");
            afterId = DataForm.value(form.get(), "after-id").orElse(null);
            beforeId = DataForm.value(form.get(), "before-id").orElse(null);
            ids = DataForm.values(form.get(), "ids");
        }
        int max = pageSize;
        boolean fromEnd = false;
        Optional<Element> set = query.child("set", RSM);
        if (set.isPresent()) {
            Optional<Element> m = set.get().child("max", RSM);
            if (m.isPresent()) {
                try {
                    max = Integer.parseInt(m.get().text().strip());
                } catch (NumberFormatException e) {
                    throw new StanzaException(StanzaError.BAD_REQUEST, "<max/> must be a non-negative number");
                }
                if (max < 0) throw new StanzaException(StanzaError.BAD_REQUEST, "<max/> must be a non-negative number");
            }
            if (set.get().child("index", RSM).isPresent()) throw new StanzaException(StanzaError.FEATURE_NOT_IMPLEMENTED, "Paging by <index/> is not supported; use <after/> or <before/>");
            Optional<Element> after = set.get().child("after", RSM);
            if (after.isPresent()) afterId = after.get().text().strip();
            Optional<Element> before = set.get().child("before", RSM);
            if (before.isPresent()) {
                String b = before.get().text().strip();
                if (b.isEmpty()) fromEnd = true;
                else beforeId = b;
            }
        }
        max = Math.min(max, maxPageSize);
        return new MamQuery(query.attribute("queryid"), new ArchiveStore.Query(with, start, end, afterId, beforeId, ids, max, fromEnd),
                query.child("flip-page", NS).isPresent());
    }

    private static Instant instant(Element form, String var) throws StanzaException {
        Optional<String> v = DataForm.value(form, var);
        if (v.isEmpty()) return null;
        try {
            return OffsetDateTime.parse(v.get().strip()).toInstant();
        } catch (DateTimeParseException e) {
            throw new StanzaException(StanzaError.BAD_REQUEST, "'" + var + "' must be a XEP-0082 date and time such as 2026-12-04T10:00:00Z");
        }
    }

    /**
     * Reads the page from {@code archive} of {@code store}: the result messages, from the archive's
     * JID to {@code to}, and the {@code <fin/>} with its XEP-0059 {@code <set/>}.
     *
     * @throws StanzaException {@code item-not-found} when an after or before id is not in the archive
     */
    public Answer run(ArchiveStore store, Jid archive, Jid to) throws StanzaException {
        ArchiveStore.Page page = store.query(archive, query)
                .orElseThrow(() -> new StanzaException(StanzaError.ITEM_NOT_FOUND, "No message with that id in this archive"));
        List<ArchiveStore.Entry> entries = new ArrayList<>(page.entries());
        if (flip) Collections.reverse(entries);
        List<Element> results = new ArrayList<>(entries.size());
        for (ArchiveStore.Entry e : entries) results.add(result(e, archive, to, queryId));
        Element.Builder fin = Element.builder("fin", NS);
        if (page.complete()) fin.attribute("complete", "true");
        Element.Builder rsm = Element.builder("set", RSM);
        if (entries.isEmpty()) {
            rsm.child(Element.builder("count", RSM).text("0").build());
        } else {
            rsm.child(Element.builder("first", RSM).text(entries.getFirst().id()).build());
            rsm.child(Element.builder("last", RSM).text(entries.getLast().id()).build());
        }
        return new Answer(List.copyOf(results), fin.child(rsm.build()).build());
    }

    /** One archived stanza as a result message (§4.2): forwarded, with its time. */
    public static Element result(ArchiveStore.Entry e, Jid archive, Jid to, String queryId) {
        Element.Builder r = Element.builder("result", NS).attribute("id", e.id());
        if (queryId != null) r.attribute("queryid", queryId);
        r.child(Element.builder("forwarded", FORWARD)
                .child(Messages.delay(null, e.stamp(), null))
                .child(e.stanza()).build());
        return Element.builder("message", CLIENT).attribute("from", archive.toString()).attribute("to", to.toString()).child(r.build()).build();
    }

    /** XEP-0313 §5.1 metadata: the oldest and newest entry of an archive. */
    public static Element metadata(ArchiveStore store, Jid archive) {
        Element.Builder m = Element.builder("metadata", NS);
        store.ends(archive).ifPresent(e -> m.child(Element.builder("start", NS).attribute("id", e.firstId()).attribute("timestamp", e.firstStamp().toString()).build())
                .child(Element.builder("end", NS).attribute("id", e.lastId()).attribute("timestamp", e.lastStamp().toString()).build()));
        return m.build();
    }
}
