package dev.strata.xep0280;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.Jid;
import dev.strata.api.module.DeliveryListener;
import dev.strata.api.module.DiscoFeature;
import dev.strata.api.module.Filter;
import dev.strata.api.module.Hook;
import dev.strata.api.module.IqHandler;
import dev.strata.api.module.IqRoute;
import dev.strata.api.module.StanzaFilter;
import dev.strata.api.module.StanzaHook;
import dev.strata.api.stanza.Iq;
import dev.strata.api.stanza.Messages;
import dev.strata.api.stanza.Origin;
import dev.strata.api.stanza.Session;
import dev.strata.api.stanza.SessionInfo;
import dev.strata.api.stanza.SessionRegistry;
import dev.strata.api.stanza.StanzaContext;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.stanza.StreamError;
import dev.strata.api.stream.Feature;
import dev.strata.api.stream.InlineFeature;
import dev.strata.api.stream.Negotiation;
import dev.strata.api.stream.StreamAcks;
import dev.strata.api.stream.StreamFeature;
import dev.strata.api.xml.Element;

/**
 * XEP-0280 Message Carbons 1.0.1: a session enables or disables carbons with an IQ; a message
 * eligible for carbons (chat; normal with a body; receipts, chat markers, call proposals and
 * encrypted payloads; MUC private messages, which carry {@code <x xmlns='...muc#user'/>}; never
 * groupchat, headline or error) that an account's resource sends is copied, wrapped in
 * {@code <sent/>} and XEP-0297 {@code <forwarded/>}, to the account's other carbon-enabled
 * resources; one delivered to a resource is copied in {@code <received/>} to the carbon-enabled
 * resources that did not get it under RFC 6121 (§8.5: the addressed resource, or all available
 * resources of the highest non-negative priority for a bare JID). The sending resource never gets
 * a copy of its own message, and no resource gets a message twice. {@code <private/>} (removed
 * before delivery, §7) and XEP-0334 {@code <no-copy/>} stop the copies. The enabled flag is a
 * session attribute: reloading this module keeps it, unloading it stops the copies. A client that
 * logs in with XEP-0386 Bind 2 enables carbons inline, in the same round trip as its login.
 */
@IqRoute(namespace = Carbons.NS, type = "set", target = {IqRoute.To.SERVER, IqRoute.To.SELF})
@DiscoFeature(feature = Carbons.NS)
@Hook(StanzaHook.OUTBOUND)
@Filter(StanzaFilter.INBOUND)
@Feature(namespace = Carbons.NS)
@Component(name = "strata.xep0280", service = {IqHandler.class, DeliveryListener.class, StanzaHook.class, StanzaFilter.class, StreamFeature.class})
public final class Carbons implements IqHandler, DeliveryListener, StanzaHook, StanzaFilter, InlineFeature {
    static final String NS = "urn:xmpp:carbons:2";
    static final String FORWARD = "urn:xmpp:forward:0";
    static final String HINTS = Messages.HINTS;
    static final String MUC_USER = "http://jabber.org/protocol/muc#user";
    static final String CLIENT = "jabber:client";
    /** The session attribute: carbons enabled. */
    static final String ENABLED = NS;
    /** Context flags: the message was private (its {@code <private/>} removed), or its copies were made. */
    static final String PRIVATE = "strata.carbons.private";
    static final String COPIED = "strata.carbons.copied";
    /** Payloads besides a body or an encrypted one that make a normal message worth copying (Prosody's and ejabberd's rules, for the same clients). */
    private static final Set<String> WORTH_COPYING = Set.of("urn:xmpp:receipts", "urn:xmpp:chat-markers:0", "urn:xmpp:jingle-message:0", MUC_USER);
    private static final Logger LOG = LoggerFactory.getLogger(Carbons.class);

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile SessionRegistry registry;

    @Activate
    public Carbons() {
    }

    /** For tests. */
    Carbons(SessionRegistry registry) {
        this.registry = registry;
    }

    // --- enable and disable (§4, §5) ---------------------------------------------------------------

    @Override
    public Element handle(Iq iq, Origin from) throws StanzaException {
        Session session = Session.of(from);
        switch (iq.payload().name()) {
            case "enable" -> session.attribute(ENABLED, Boolean.TRUE);
            case "disable" -> session.attribute(ENABLED, null);
            default -> throw new StanzaException(StanzaError.BAD_REQUEST, "Expected <enable/> or <disable/> in " + NS);
        }
        LOG.debug("Carbons {} for {}", iq.payload().name() + "d", session.jid());
        return null;
    }

    // --- XEP-0386 Bind 2: enabled inline, with the login -------------------------------------------

    @Override
    public Element offer(Stage stage, Negotiation negotiation) {
        return null; // carbons are enabled with an IQ (§4), or inline in Bind 2; no stream feature of their own
    }

    @Override
    public Element inline(Where where, Negotiation negotiation) {
        return where == Where.BIND2 ? Element.of("enable", NS) : null;
    }

    @Override
    public void negotiate(Element element, Negotiation negotiation) {
        Session session = negotiation.session();
        if (negotiation.inline() != Where.BIND2 || session == null) {
            negotiation.fail(StreamError.UNSUPPORTED_STANZA_TYPE, "Enable carbons with an IQ (XEP-0280 §4) or inline in a Bind 2 request (XEP-0386)");
            return;
        }
        // §4 of XEP-0386: enabling carbons cannot fail, so nothing is answered in <bound/>
        if (element.name().equals("enable")) session.attribute(ENABLED, Boolean.TRUE);
        LOG.debug("Carbons {} for {} in Bind 2", element.name().equals("enable") ? "enabled" : "not enabled (<" + element.name() + "/>)", session.jid());
    }

    static boolean enabled(Session s) {
        return Boolean.TRUE.equals(s.attribute(ENABLED));
    }

    // --- which messages (§6) -----------------------------------------------------------------------

    static boolean eligible(Element m) {
        if (!m.name().equals("message")) return false;
        if (m.child("private", NS).isPresent() || Messages.hint(m, "no-copy")) return false;
        if (m.child("sent", NS).isPresent() || m.child("received", NS).isPresent()) return false; // a copy itself
        String type = m.attribute("type") == null ? "normal" : m.attribute("type");
        return switch (type) {
            case "chat" -> true;
            case "normal" -> Messages.hasContent(m) || m.elements().anyMatch(c -> WORTH_COPYING.contains(c.namespace()));
            default -> false; // groupchat, headline, error
        };
    }

    static Element wrap(String direction, Element original, Jid account, Jid to) {
        Element.Builder b = Element.builder("message", CLIENT).attribute("from", account.toString()).attribute("to", to.toString());
        if (original.attribute("type") != null) b.attribute("type", original.attribute("type"));
        return b.child(Element.builder(direction, NS).child(Element.builder("forwarded", FORWARD).child(original).build()).build()).build();
    }

    // --- sent (§7): a message an account's resource sends, before routing -----------------------------

    @Override
    public boolean handle(Element stanza, Origin origin) {
        if (!(origin instanceof Session sender) || !eligible(stanza)) return false;
        Jid account = sender.jid().bare();
        String to = stanza.attribute("to");
        if (to == null || Jid.tryParse(to).map(j -> j.bare().equals(account)).orElse(true)) return false; // to oneself: the received copies cover it
        for (Session s : others(account)) {
            if (s != sender && enabled(s)) s.send(wrap("sent", stanza, account, s.jid()));
        }
        return false; // routing goes on
    }

    // --- private (§8): removed before delivery, and no copies -------------------------------------------

    @Override
    public Element filter(Element stanza, StanzaContext context) {
        if (!stanza.name().equals("message") || stanza.child("private", NS).isEmpty()) return stanza;
        context.meta(PRIVATE, true);
        return stanza.without(e -> e.is("private", NS));
    }

    // --- received (§6): a message delivered to a resource ------------------------------------------

    @Override
    public void delivered(Element stanza, Session target, StanzaContext context) {
        if (!stanza.name().equals("message") || context.flagged(COPIED) || context.flagged(PRIVATE) || context.flagged(StreamAcks.RESENT)) return;
        if (!eligible(stanza)) return;
        context.meta(COPIED, true); // once per message, however many resources it went to
        Jid account = target.jid().bare();
        List<Session> sessions = others(account);
        if (sessions.size() < 2) return;
        Set<Session> gotIt = new HashSet<>();
        gotIt.add(target);
        if (!target.jid().toString().equals(stanza.attribute("to"))) {
            // to the bare JID (or a resource gone, treated as the bare JID): every available resource of the best priority got it
            List<SessionInfo> available = registry == null ? List.of() : registry.available(account);
            int best = available.stream().mapToInt(SessionInfo::priority).filter(p -> p >= 0).max().orElse(-1);
            for (SessionInfo i : available) if (i.priority() == best && i.session() != null) gotIt.add(i.session());
        }
        if (context.origin() instanceof Session sender) gotIt.add(sender); // never a copy of one's own message
        for (Session s : sessions) {
            if (!gotIt.contains(s) && enabled(s)) s.send(wrap("received", stanza, account, s.jid()));
        }
    }

    private List<Session> others(Jid account) {
        SessionRegistry r = registry;
        return r == null ? List.of() : new ArrayList<>(r.sessions(account));
    }
}
