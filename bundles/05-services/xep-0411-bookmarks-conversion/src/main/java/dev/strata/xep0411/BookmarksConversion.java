package dev.strata.xep0411;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.Jid;
import dev.strata.api.module.DiscoFeature;
import dev.strata.api.module.DocumentListener;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.storage.KeyValueStore;
import dev.strata.api.xml.Element;
import dev.strata.pubsub.LazyEngine;
import dev.strata.pubsub.PubSubEngine;
import dev.strata.pubsub.PubSubListener;

/**
 * One list of chat room bookmarks in three places, kept in step by the server: XEP-0402 PEP native
 * bookmarks ({@code urn:xmpp:bookmarks:1}, one item per room), XEP-0048 bookmarks in XEP-0049
 * private XML storage ({@code storage:bookmarks}, XEP-0402's {@code #compat}), and XEP-0048
 * bookmarks in PEP (the {@code storage:bookmarks} node, XEP-0411 and XEP-0402's
 * {@code #compat-pep}). Whichever a client writes, the other two follow; XEP-0402 subscribers hear
 * only of the rooms that changed (§5.3.2 of XEP-0402: no notification for unchanged items).
 */
@DiscoFeature(account = {BookmarksConversion.CONVERSION, BookmarksConversion.BOOKMARKS + "#compat", BookmarksConversion.BOOKMARKS + "#compat-pep"})
@Component(service = {PubSubListener.class, DocumentListener.class})
public final class BookmarksConversion implements PubSubListener, DocumentListener {
    private static final Logger LOG = LoggerFactory.getLogger(BookmarksConversion.class);
    static final String CONVERSION = "urn:xmpp:bookmarks-conversion:0";
    static final String BOOKMARKS = "urn:xmpp:bookmarks:1";
    static final String LEGACY = "storage:bookmarks";
    static final String PRIVATE_NS = "jabber:iq:private";
    /** XEP-0223 private storage, as XEP-0402 §3 asks for its node. */
    static final Map<String, String> PRIVATE_NODE = Map.of("pubsub#persist_items", "true", "pubsub#max_items", "max",
            "pubsub#send_last_published_item", "never", "pubsub#access_model", "whitelist");
    static final Map<String, String> PRIVATE_LEGACY_NODE = Map.of("pubsub#persist_items", "true", "pubsub#max_items", "1",
            "pubsub#send_last_published_item", "never", "pubsub#access_model", "whitelist");

    private final KeyValueStore store;
    private final LazyEngine engines;
    /** Set while this module writes, so it does not convert its own writes back. */
    private final ThreadLocal<Boolean> converting = ThreadLocal.withInitial(() -> false);

    @Activate
    public BookmarksConversion(BundleContext context, @Reference KeyValueStore store) {
        this(store, new LazyEngine(context));
    }

    BookmarksConversion(KeyValueStore store, LazyEngine engines) {
        this.store = store;
        this.engines = engines;
    }

    @Deactivate
    void deactivate() {
        engines.close();
    }

    /** XEP-0048 bookmarks stored in private XML: the PEP lists follow. */
    @Override
    public void stored(Jid account, String kind, String key, Element document) {
        if (!kind.equals(DocumentListener.PRIVATE) || !key.equals(LEGACY) || converting.get()) return;
        Element storage = document.child("storage", LEGACY).orElse(Element.of("storage", LEGACY));
        convert(account, () -> {
            syncNative(account, storage);
            publishLegacy(account, storage);
        });
    }

    /** A client changed the XEP-0402 node or the XEP-0048 PEP node: the other two follow. */
    @Override
    public void changed(Jid service, String node, String itemId, Element payload, boolean retracted, Jid by) {
        if (converting.get() || service.local() == null) return;
        if (node.equals(BOOKMARKS)) {
            convert(service, () -> {
                Element storage = legacy(engines.require().items(service, BOOKMARKS));
                store.put(service, DocumentListener.PRIVATE, LEGACY, Element.builder("query", PRIVATE_NS).child(storage).build());
                publishLegacy(service, storage);
            });
        } else if (node.equals(LEGACY) && !retracted && payload != null && payload.is("storage", LEGACY)) {
            convert(service, () -> {
                store.put(service, DocumentListener.PRIVATE, LEGACY, Element.builder("query", PRIVATE_NS).child(payload).build());
                syncNative(service, payload);
            });
        }
    }

    private interface Work {
        void run() throws StanzaException;
    }

    private void convert(Jid account, Work work) {
        converting.set(true);
        try {
            work.run();
        } catch (StanzaException | RuntimeException e) {
            LOG.warn("The bookmarks of {} could not be kept in step: {}", account, e.getMessage());
        } finally {
            converting.set(false);
        }
    }

    /** Publishes the rooms that are new or changed and retracts those that are gone (XEP-0402 §5.3.2). */
    private void syncNative(Jid account, Element storage) throws StanzaException {
        Map<String, Element> now = new LinkedHashMap<>();
        for (PubSubEngine.Item i : engines.require().items(account, BOOKMARKS)) now.put(i.id(), i.payload());
        Map<String, Element> wanted = new LinkedHashMap<>();
        for (Element c : storage.elements().filter(e -> e.is("conference", LEGACY)).toList()) {
            String jid = c.attribute("jid");
            if (jid == null || Jid.tryParse(jid).isEmpty()) continue;
            wanted.put(Jid.of(jid).bare().toString(), toNative(c));
        }
        for (Map.Entry<String, Element> w : wanted.entrySet()) {
            if (!Objects.equals(now.get(w.getKey()), w.getValue())) engines.require().publish(account, BOOKMARKS, w.getKey(), w.getValue(), account, PRIVATE_NODE);
        }
        for (String gone : now.keySet()) if (!wanted.containsKey(gone)) engines.require().retract(account, BOOKMARKS, gone);
    }

    private void publishLegacy(Jid account, Element storage) throws StanzaException {
        engines.require().publish(account, LEGACY, "current", storage, account, PRIVATE_LEGACY_NODE);
    }

    /** A XEP-0048 {@code <conference/>} as XEP-0402's (the JID goes to the item id). */
    static Element toNative(Element c) {
        Element.Builder b = Element.builder("conference", BOOKMARKS);
        if (c.attribute("name") != null) b.attribute("name", c.attribute("name"));
        if (autojoin(c)) b.attribute("autojoin", "true");
        nickAndPassword(c, LEGACY, b, BOOKMARKS);
        return b.build();
    }

    private static boolean autojoin(Element conference) {
        String a = conference.attribute("autojoin");
        return "true".equals(a) || "1".equals(a);
    }

    /** Copies a conference's non-empty {@code <nick/>} and {@code <password/>} from one namespace to the other. */
    private static void nickAndPassword(Element from, String fromNs, Element.Builder to, String toNs) {
        for (String name : List.of("nick", "password")) {
            from.child(name, fromNs).map(Element::text).filter(t -> !t.isEmpty()).ifPresent(t -> to.child(Element.builder(name, toNs).text(t).build()));
        }
    }

    /** XEP-0402 items as one XEP-0048 {@code <storage/>} (§5.3.1 of XEP-0402), rooms in publication order. */
    static Element legacy(List<PubSubEngine.Item> items) {
        List<Element> conferences = new ArrayList<>();
        for (PubSubEngine.Item i : items) {
            Element c = i.payload();
            if (c == null || !c.is("conference", BOOKMARKS)) continue;
            Element.Builder b = Element.builder("conference", LEGACY).attribute("jid", i.id());
            if (c.attribute("name") != null) b.attribute("name", c.attribute("name"));
            b.attribute("autojoin", autojoin(c) ? "true" : "false");
            nickAndPassword(c, BOOKMARKS, b, LEGACY);
            conferences.add(b.build());
        }
        return Element.builder("storage", LEGACY).children(conferences).build();
    }
}
