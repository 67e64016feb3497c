package dev.strata.xep0398;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

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
import dev.strata.api.module.Filter;
import dev.strata.api.module.StanzaFilter;
import dev.strata.api.stanza.Session;
import dev.strata.api.stanza.StanzaContext;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.storage.KeyValueStore;
import dev.strata.api.xml.Element;
import dev.strata.pubsub.LazyEngine;
import dev.strata.pubsub.PubSubEngine;
import dev.strata.pubsub.PubSubListener;

/**
 * XEP-0398 User Avatar to vCard-Based Avatars Conversion 1.0: an avatar a client publishes with
 * XEP-0084 (data, then metadata) becomes the PHOTO of the account's vCard, and a vCard stored with a
 * PHOTO is published to the XEP-0084 nodes; the server puts the avatar's XEP-0153 hash into every
 * available presence the account's clients send (broadcast and directed, MUC joins included) that
 * does not carry a photo of its own.
 */
@Filter(StanzaFilter.OUTBOUND)
@DiscoFeature(account = AvatarConversion.FEATURE)
@Component(service = {PubSubListener.class, DocumentListener.class, StanzaFilter.class})
public final class AvatarConversion implements PubSubListener, DocumentListener, StanzaFilter {
    private static final Logger LOG = LoggerFactory.getLogger(AvatarConversion.class);
    static final String FEATURE = "urn:xmpp:pep-vcard-conversion:0";
    static final String METADATA = "urn:xmpp:avatar:metadata";
    static final String DATA = "urn:xmpp:avatar:data";
    static final String VCARD = "vcard-temp";
    static final String UPDATE = "vcard-temp:x:update";

    private final KeyValueStore store;
    private final LazyEngine engines;
    /** Each account's avatar hash (hex SHA-1), "" for none; read from the vCard the first time it is needed. */
    private final Map<Jid, String> hashes = new ConcurrentHashMap<>();
    /** Set while this module publishes, so it does not convert its own publishes back. */
    private final ThreadLocal<Boolean> converting = ThreadLocal.withInitial(() -> false);

    @Activate
    public AvatarConversion(BundleContext context, @Reference KeyValueStore store) {
        this(store, new LazyEngine(context));
    }

    AvatarConversion(KeyValueStore store, LazyEngine engines) {
        this.store = store;
        this.engines = engines;
    }

    @Deactivate
    void deactivate() {
        engines.close();
    }

    // --- PEP to vCard (§3.1) ------------------------------------------------------------------------

    @Override
    public void changed(Jid service, String node, String itemId, Element payload, boolean retracted, Jid by) {
        PubSubEngine engine = engines.get();
        if (engine == null || converting.get() || service.local() == null || !node.equals(METADATA) || retracted || payload == null) return;
        if (!payload.is("metadata", METADATA)) return;
        Optional<Element> info = payload.elements().filter(e -> e.is("info", METADATA) && (e.attribute("url") == null || e.attribute("url").isEmpty())).findFirst();
        if (info.isEmpty()) { // an empty metadata element: the avatar is gone
            if (payload.elements().noneMatch(e -> e.is("info", METADATA))) setPhoto(service, null, null);
            return;
        }
        String id = info.get().attribute("id");
        String type = info.get().attribute("type");
        Optional<PubSubEngine.Item> data = id == null ? Optional.empty() : engine.item(service, DATA, id);
        Element d = data.map(PubSubEngine.Item::payload).orElse(null);
        if (d == null || !d.is("data", DATA)) {
            LOG.info("{} published avatar metadata {} with no data item of that id; its vCard keeps its photo", service, id);
            return;
        }
        String base64 = d.text().replaceAll("\\s", "");
        byte[] image;
        try {
            image = Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            LOG.info("{} published avatar data {} that is not base64; its vCard keeps its photo", service, id);
            return;
        }
        if (!sha1(image).equalsIgnoreCase(id)) {
            LOG.info("{} published avatar data whose SHA-1 is not its id {}; its vCard keeps its photo", service, id);
            return;
        }
        setPhoto(service, type == null ? "image/png" : type, base64);
        hashes.put(service, id.toLowerCase(java.util.Locale.ROOT));
    }

    /** Puts a photo into the account's vCard (null: takes it out), written directly so nobody is told of it. */
    private void setPhoto(Jid account, String type, String base64) {
        Element vcard = store.get(account, DocumentListener.VCARD, "current").orElse(Element.of("vCard", VCARD));
        Element.Builder b = vcard.without(e -> e.is("PHOTO", VCARD)).toBuilder();
        if (base64 != null) {
            b.child(Element.builder("PHOTO", VCARD).child(Element.builder("TYPE", VCARD).text(type).build())
                    .child(Element.builder("BINVAL", VCARD).text(base64).build()).build());
        }
        store.put(account, DocumentListener.VCARD, "current", b.build());
        if (base64 == null) hashes.put(account, "");
    }

    // --- vCard to PEP (§3.2) ------------------------------------------------------------------------

    @Override
    public void stored(Jid account, String kind, String key, Element document) {
        if (!kind.equals(DocumentListener.VCARD)) return;
        Photo photo = photo(document);
        if (photo == null) {
            hashes.put(account, "");
            return;
        }
        hashes.put(account, photo.hash);
        PubSubEngine engine = engines.get();
        if (engine == null) return;
        boolean same = engine.items(account, METADATA).stream().reduce((a, b) -> b).map(i -> i.id().equalsIgnoreCase(photo.hash)).orElse(false);
        if (same) return;
        converting.set(true);
        try {
            engine.publish(account, DATA, photo.hash, Element.builder("data", DATA).text(photo.base64).build(), account, Map.of());
            engine.publish(account, METADATA, photo.hash, Element.builder("metadata", METADATA).child(Element.builder("info", METADATA)
                    .attribute("id", photo.hash).attribute("bytes", Integer.toString(photo.bytes)).attribute("type", photo.type).build()).build(), account, Map.of());
        } catch (StanzaException e) {
            LOG.info("The vCard photo of {} could not be published as its avatar: {}", account, e.getMessage());
        } finally {
            converting.set(false);
        }
    }

    private record Photo(String type, String base64, String hash, int bytes) {
    }

    private static Photo photo(Element vcard) {
        Element photo = vcard.child("PHOTO", VCARD).orElse(null);
        if (photo == null) return null;
        String base64 = photo.child("BINVAL", VCARD).map(Element::text).orElse("").replaceAll("\\s", "");
        if (base64.isEmpty()) return null;
        byte[] image;
        try {
            image = Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            return null;
        }
        String type = photo.child("TYPE", VCARD).map(Element::text).map(String::strip).filter(t -> !t.isEmpty()).orElse("image/png");
        return new Photo(type, base64, sha1(image), image.length);
    }

    // --- presence (§4) ------------------------------------------------------------------------------

    @Override
    public Element filter(Element stanza, StanzaContext context) {
        if (!stanza.name().equals("presence") || stanza.attribute("type") != null || !(context.origin() instanceof Session s)) return stanza;
        Optional<Element> x = stanza.child("x", UPDATE);
        if (x.isPresent() && x.get().child("photo", UPDATE).isPresent()) return stanza; // the client's own word, empty or not
        String hash = hash(s.jid().bare());
        Element.Builder photo = Element.builder("photo", UPDATE);
        if (!hash.isEmpty()) photo.text(hash);
        else if (x.isEmpty()) return stanza; // no avatar known and nothing to correct
        return stanza.without(e -> e.is("x", UPDATE)).toBuilder().child(Element.builder("x", UPDATE).child(photo.build()).build()).build();
    }

    private String hash(Jid account) {
        return hashes.computeIfAbsent(account, a -> {
            Photo p = store.get(a, DocumentListener.VCARD, "current").map(AvatarConversion::photo).orElse(null);
            return p == null ? "" : p.hash;
        });
    }

    static String sha1(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
