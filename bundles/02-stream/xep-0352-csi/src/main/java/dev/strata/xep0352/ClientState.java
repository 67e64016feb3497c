package dev.strata.xep0352;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
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

import dev.strata.api.module.SessionFilter;
import dev.strata.api.module.SessionLifecycle;
import dev.strata.api.stanza.Messages;
import dev.strata.api.stanza.Session;
import dev.strata.api.stanza.SessionRegistry;
import dev.strata.api.stream.Feature;
import dev.strata.api.stream.InlineFeature;
import dev.strata.api.stream.Negotiation;
import dev.strata.api.stream.StreamFeature;
import dev.strata.api.xml.Element;

/**
 * XEP-0352 Client State Indication 1.0.0: while a client says it is {@code <inactive/>}, what is not
 * urgent waits in its session (presence and chat states, each folded to the latest per sender;
 * receipts, markers and other messages without a body), and everything waiting goes out in one write, in
 * order, with the first urgent stanza: a message with a body or an encrypted payload, a call
 * proposal (XEP-0353), anything with a XEP-0334 {@code <store/>} hint, an archive result, a
 * subscription request, an IQ or an error; or when the client says {@code <active/>}. At most
 * {@code max.held} wait; one more flushes them. A session that loses its connection or ends
 * releases what waits into stream management, which keeps it for a resumption or sends it on.
 * The filter runs last ({@code service.ranking} -1000), so what it releases has passed every other.
 */
@Feature(namespace = ClientState.NS)
@Component(name = "strata.xep0352", service = {StreamFeature.class, SessionFilter.class, SessionLifecycle.class},
        property = "service.ranking:Integer=-1000")
@Designate(ocd = ClientState.Config.class)
public final class ClientState implements InlineFeature, SessionFilter, SessionLifecycle {
    static final String NS = "urn:xmpp:csi:0";
    /** Session attribute: the stanzas held while the client is inactive (absent: active). Guarded by itself. */
    static final String HELD = "urn:xmpp:csi:0";
    static final String CLIENT = "jabber:client";
    static final String CHAT_STATES = "http://jabber.org/protocol/chatstates";
    /** Payloads besides a body or an encrypted one that make a message urgent: a call proposal, an archive result, a MUC private message. */
    private static final Set<String> URGENT_PAYLOADS = Set.of("urn:xmpp:jingle-message:0", "urn:xmpp:mam:2", "http://jabber.org/protocol/muc#user");
    private static final Logger LOG = LoggerFactory.getLogger(ClientState.class);

    @ObjectClassDefinition(id = "strata.xep0352", name = "XEP-0352 Client State Indication")
    @interface Config {
        @AttributeDefinition(min = "1", max = "100000", description = "Stanzas held for an inactive client at most; one more sends them all")
        int max_held() default 1000;
    }

    private volatile int maxHeld;

    @Activate
    public ClientState(Config config) {
        modified(config);
    }

    @Modified
    void modified(Config c) {
        maxHeld = c.max_held();
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile SessionRegistry registry;

    /** Unloaded: nothing holds stanzas any more, so what waits goes out now, before anything newer. */
    @Deactivate
    void deactivate() {
        SessionRegistry r = registry;
        if (r != null) for (Session s : r.all()) flush(s, "client state indication is unloading");
    }

    @Override
    public Element offer(Stage stage, Negotiation negotiation) {
        return stage == Stage.AFTER_AUTH ? Element.of("csi", NS) : null;
    }

    /** XEP-0386: a client logging in with Bind 2 may start its session inactive (or active). */
    @Override
    public Element inline(Where where, Negotiation negotiation) {
        return where == Where.BIND2 ? Element.of("csi", NS) : null;
    }

    @Override
    public void negotiate(Element element, Negotiation negotiation) {
        Session s = negotiation.session();
        if (s == null) return; // XEP-0352 §5: only a bound client's state means anything; nothing to answer
        switch (element.name()) {
            case "inactive" -> {
                if (!(s.attribute(HELD) instanceof List<?>)) s.attribute(HELD, new ArrayList<Element>());
            }
            case "active" -> flush(s, null);
            default -> LOG.debug("{} sent <{}/> in {}; ignored", s.jid(), element.name(), NS);
        }
    }

    /** Whether a stanza goes out now even to an inactive client. */
    static boolean urgent(Element stanza) {
        switch (stanza.name()) {
            case "presence" -> {
                String type = stanza.attribute("type");
                return "subscribe".equals(type) || "error".equals(type);
            }
            case "message" -> {
                if ("error".equals(stanza.attribute("type"))) return true;
                if (Messages.hasContent(stanza) || Messages.hint(stanza, "store")) return true;
                for (Element c : stanza.elements().toList()) {
                    if (URGENT_PAYLOADS.contains(c.namespace())) return true;
                    // a carbon copy is as urgent as the message it carries
                    if (c.namespace().equals("urn:xmpp:carbons:2")) {
                        var inner = c.child("forwarded", "urn:xmpp:forward:0").flatMap(f -> f.child("message", CLIENT));
                        if (inner.isPresent() && urgent(inner.get())) return true;
                    }
                }
                return false;
            }
            default -> {
                return true; // IQs: someone waits for the answer
            }
        }
    }

    /** A message that says nothing but a chat state. */
    static boolean chatStateOnly(Element m) {
        return m.name().equals("message") && m.elements().findAny().isPresent()
                && m.elements().allMatch(c -> c.namespace().equals(CHAT_STATES) || c.is("thread", CLIENT));
    }

    @Override
    @SuppressWarnings("unchecked")
    public Element outbound(Session session, Element stanza) {
        if (!(session.attribute(HELD) instanceof List<?> list)) return stanza;
        List<Element> held = (List<Element>) list;
        List<Element> out;
        synchronized (held) {
            if (session.attribute(HELD) != held) return stanza; // turned active meanwhile
            if (!urgent(stanza) && held.size() < maxHeld) {
                String from = stanza.attribute("from");
                if (from != null && stanza.name().equals("presence")) {
                    // only the latest presence of each sender matters
                    held.removeIf(h -> h.name().equals("presence") && from.equals(h.attribute("from")));
                } else if (from != null && chatStateOnly(stanza)) {
                    // and only its latest chat state (XEP-0085: each replaces the one before)
                    held.removeIf(h -> chatStateOnly(h) && from.equals(h.attribute("from")));
                }
                held.add(stanza);
                return null;
            }
            out = new ArrayList<>(held);
            out.add(stanza);
            held.clear();
        }
        session.release(out); // what waited, then this: one write
        return null;
    }

    /** Sends what waits, then the client is active. */
    @SuppressWarnings("unchecked")
    private static void flush(Session session, String reason) {
        if (!(session.attribute(HELD) instanceof List<?> list)) return;
        List<Element> held = (List<Element>) list;
        List<Element> out;
        synchronized (held) {
            session.attribute(HELD, null);
            out = new ArrayList<>(held);
            held.clear();
        }
        if (reason != null && !out.isEmpty()) LOG.debug("{} stanzas held for {} released: {}", out.size(), session.jid(), reason);
        session.release(out);
    }

    @Override
    public Duration detached(Session session, String reason) {
        flush(session, "its connection was lost"); // into stream management's queue, for a resumption (the client says again when it is inactive)
        return Duration.ZERO;
    }

    @Override
    public void ended(Session session, String reason) {
        flush(session, "it ended");
    }
}
