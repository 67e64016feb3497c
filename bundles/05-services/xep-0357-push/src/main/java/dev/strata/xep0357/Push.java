package dev.strata.xep0357;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.InvalidJidException;
import dev.strata.api.Jid;
import dev.strata.api.auth.AccountDeletion;
import dev.strata.api.module.DeliveryListener;
import dev.strata.api.module.DiscoFeature;
import dev.strata.api.module.Hook;
import dev.strata.api.module.IqHandler;
import dev.strata.api.module.IqRoute;
import dev.strata.api.module.StanzaHook;
import dev.strata.api.stanza.Iq;
import dev.strata.api.stanza.Messages;
import dev.strata.api.stanza.Origin;
import dev.strata.api.stanza.Router;
import dev.strata.api.stanza.Session;
import dev.strata.api.stanza.StanzaContext;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.storage.KeyValueStore;
import dev.strata.api.stream.StreamAcks;
import dev.strata.api.xml.DataForm;
import dev.strata.api.xml.Element;

/**
 * XEP-0357 Push Notifications 0.4.1: a client registers an app server (a JID and a node, with
 * publish options such as a secret); when a message worth waking a phone for (a body, an encrypted
 * payload or a call proposal) reaches the account while it has no connected session (it went to
 * offline storage) or reaches a session kept without a connection (stream management waiting for
 * a resumption), each registration gets a {@code urn:xmpp:push:summary} notification published to
 * its node, with its publish options, from the account's bare JID: the count of messages since the
 * account was last online, the sender, and the body only where {@code include.body} allows it. A
 * push that gets no answer is sent again after 2, 4 and 8 s; an error answer drops the
 * registration. Registrations are key-value documents of the account, deleted with it.
 */
@IqRoute(namespace = Push.NS, type = "set", target = IqRoute.To.SELF)
@DiscoFeature(account = Push.NS)
@Hook({StanzaHook.MESSAGE_OFFLINE, StanzaHook.PRESENCE_INITIAL})
@Component(name = "strata.xep0357", service = {IqHandler.class, StanzaHook.class, DeliveryListener.class, AccountDeletion.class},
        property = "service.ranking:Integer=100")
@Designate(ocd = Push.Config.class)
public final class Push implements IqHandler, StanzaHook, DeliveryListener, AccountDeletion {
    static final String NS = "urn:xmpp:push:0";
    static final String SUMMARY = "urn:xmpp:push:summary";
    static final String PUBSUB = "http://jabber.org/protocol/pubsub";
    static final String PUBLISH_OPTIONS = "http://jabber.org/protocol/pubsub#publish-options";
    static final String CLIENT = "jabber:client";
    private static final String STORE = "push";
    /** A call proposal (XEP-0353) wakes a phone too, though it has no body. */
    private static final String CALL = "urn:xmpp:jingle-message:0";
    private static final Logger LOG = LoggerFactory.getLogger(Push.class);

    @ObjectClassDefinition(id = "strata.xep0357", name = "XEP-0357 Push Notifications")
    @interface Config {
        @AttributeDefinition(description = "Put the message's body in the notification (it then passes through the app server and the phone vendor's push service)")
        boolean include_body() default false;

        @AttributeDefinition(min = "1", max = "100", description = "App servers one account may register")
        int max_registrations() default 10;

        @AttributeDefinition(min = "1", max = "120", description = "Seconds an app server has to answer a notification before it is sent again")
        int timeout() default 10;

        @AttributeDefinition(min = "0", max = "10", description = "Times a notification without an answer is sent again (after 2, 4, 8... s)")
        int retries() default 3;
    }

    /** One app server registration. */
    record Registration(Jid jid, String node, Element options) {
        String key() {
            return jid + " " + node;
        }
    }

    private final KeyValueStore store;
    private volatile Config config;
    /** Messages pushed since the account was last online, for message-count. */
    private final Map<Jid, AtomicInteger> counts = new ConcurrentHashMap<>();

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile Router router;

    @Activate
    public Push(Config config, @Reference KeyValueStore store) {
        this.config = config;
        this.store = store;
    }

    @Modified
    void modified(Config c) {
        config = c;
    }

    /** For tests. */
    void router(Router r) {
        router = r;
    }

    // --- enable and disable (§5, §6) ---------------------------------------------------------------

    @Override
    public Element handle(Iq iq, Origin from) throws StanzaException {
        Jid account = Session.of(from).jid().bare();
        Element p = iq.payload();
        String jidText = p.attribute("jid");
        if (jidText == null) throw new StanzaException(StanzaError.BAD_REQUEST, "The app server's 'jid' is missing");
        Jid jid;
        try {
            jid = Jid.of(jidText);
        } catch (InvalidJidException e) {
            throw new StanzaException(StanzaError.JID_MALFORMED, "'jid' is not a JID: " + e.getMessage());
        }
        String node = p.attribute("node");
        switch (p.name()) {
            case "enable" -> {
                if (node == null || node.isBlank()) throw new StanzaException(StanzaError.BAD_REQUEST, "<enable/> needs the 'node' of the app server (XEP-0357 §5)");
                Optional<Element> form = p.child("x", DataForm.NS);
                if (form.isPresent() && DataForm.value(form.get(), "FORM_TYPE").filter(PUBLISH_OPTIONS::equals).isEmpty()) {
                    throw new StanzaException(StanzaError.BAD_REQUEST, "The publish options form needs FORM_TYPE " + PUBLISH_OPTIONS);
                }
                Registration r = new Registration(jid, node, form.orElse(null));
                List<String> keys = store.keys(account, STORE);
                if (!keys.contains(r.key()) && keys.size() >= config.max_registrations()) {
                    throw new StanzaException(StanzaError.RESOURCE_CONSTRAINT, "At most " + config.max_registrations() + " app servers per account");
                }
                Element.Builder doc = Element.builder("registration", NS).attribute("jid", jid.toString()).attribute("node", node);
                form.ifPresent(doc::child);
                store.put(account, STORE, r.key(), doc.build());
                cache.remove(account);
                LOG.debug("{} enabled push to {} node {}", account, jid, node);
            }
            case "disable" -> {
                List<String> gone = store.keys(account, STORE).stream()
                        .filter(k -> node == null ? k.startsWith(jid + " ") : k.equals(jid + " " + node)).toList();
                store.delete(account, STORE, gone);
                cache.remove(account);
            }
            default -> throw new StanzaException(StanzaError.BAD_REQUEST, "Expected <enable/> or <disable/> in " + NS);
        }
        return null;
    }

    /** Registrations read recently, by account (none is a list too): an offline message reads no document to learn there is nothing to push. */
    private final Map<Jid, List<Registration>> cache = new ConcurrentHashMap<>();

    /** The account's registrations go with its documents; what is cached of them goes now (the name may be registered again at once). */
    @Override
    public void deleting(Jid account) {
        cache.remove(account);
        counts.remove(account);
    }

    List<Registration> registrations(Jid account) {
        List<Registration> known = cache.get(account);
        if (known != null) return known;
        List<Registration> read = read(account);
        if (cache.size() > 100_000) cache.clear();
        cache.put(account, read);
        return read;
    }

    private List<Registration> read(Jid account) {
        List<Registration> out = new ArrayList<>();
        for (Element doc : store.getAll(account, STORE).values()) {
            Optional<Jid> jid = Jid.tryParse(String.valueOf(doc.attribute("jid")));
            if (jid.isPresent() && doc.attribute("node") != null) out.add(new Registration(jid.get(), doc.attribute("node"), doc.child("x", DataForm.NS).orElse(null)));
        }
        return List.copyOf(out);
    }

    // --- when to push (§7) ---------------------------------------------------------------------------

    static boolean worthAPush(Element m) {
        if (!m.name().equals("message") || "error".equals(m.attribute("type")) || "groupchat".equals(m.attribute("type"))) return false;
        return Messages.hasContent(m) || m.elements().anyMatch(c -> c.namespace().equals(CALL));
    }

    /** A message for an account with no available resource: push (and let offline storage keep it). */
    @Override
    public boolean handle(Element stanza, Origin origin) {
        if (stanza.name().equals("presence")) {
            if (origin instanceof Session s) counts.remove(s.jid().bare()); // online again: the count starts over
            return false;
        }
        Jid account = Jid.of(stanza.attribute("to")).bare();
        // stamped by this server already: a message a session never acknowledged, pushed when it first came
        if (!Messages.stampedBy(stanza, account.domain()) && worthAPush(stanza)) push(account, stanza);
        return false;
    }

    /** A message handed to a session kept without a connection: its phone sleeps. */
    @Override
    public void delivered(Element stanza, Session target, StanzaContext context) {
        if (target.isConnected() || context.flagged(StreamAcks.RESENT) || !worthAPush(stanza)) return;
        if (!(target.attribute(StreamAcks.ATTRIBUTE) instanceof StreamAcks)) return;
        push(target.jid().bare(), stanza);
    }

    void push(Jid account, Element message) {
        List<Registration> regs = registrations(account);
        if (regs.isEmpty()) return;
        int count = counts.computeIfAbsent(account, k -> new AtomicInteger()).incrementAndGet();
        if (counts.size() > 100_000) counts.clear();
        for (Registration r : regs) send(account, r, notification(account, r, message, count, config.include_body()), 0);
    }

    static Element notification(Jid account, Registration r, Element message, int count, boolean includeBody) {
        Element.Builder summary = DataForm.form("submit", SUMMARY, null);
        summary.child(DataForm.field("message-count", null, null, false, List.of(Integer.toString(count))));
        if (message.attribute("from") != null) summary.child(DataForm.field("last-message-sender", null, null, false, List.of(message.attribute("from"))));
        if (includeBody) message.child("body", CLIENT).ifPresent(b -> summary.child(DataForm.field("last-message-body", null, null, false, List.of(b.text()))));
        Element.Builder pubsub = Element.builder("pubsub", PUBSUB).child(Element.builder("publish", PUBSUB).attribute("node", r.node())
                .child(Element.builder("item", PUBSUB).child(Element.builder("notification", NS).child(summary.build()).build()).build()).build());
        if (r.options() != null) pubsub.child(Element.builder("publish-options", PUBSUB).child(r.options()).build());
        return Element.builder("iq", CLIENT).attribute("type", "set").attribute("from", account.toString()).attribute("to", r.jid().toString())
                .child(pubsub.build()).build();
    }

    private void send(Jid account, Registration r, Element iq, int attempt) {
        Router rt = router;
        if (rt == null) return;
        Config c = config;
        rt.request(iq.toBuilder().attribute("id", null).build(), Duration.ofSeconds(c.timeout())).whenComplete((answer, failure) -> {
            if (failure != null) {
                if (attempt < c.retries()) {
                    long delay = 2L << attempt;
                    CompletableFuture.delayedExecutor(delay, TimeUnit.SECONDS).execute(() -> send(account, r, iq, attempt + 1));
                } else {
                    LOG.info("Push to {} for {} got no answer after {} attempts", r.jid(), account, attempt + 1);
                }
            } else if ("error".equals(answer.attribute("type"))) {
                store.delete(account, STORE, r.key());
                cache.remove(account);
                LOG.info("Push to {} for {} answered with an error; registration dropped: {}", r.jid(), account,
                        answer.child("error", CLIENT).flatMap(Element::firstChild).map(Element::name).orElse("?"));
            }
        });
    }
}
