package dev.strata.xep0198;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;

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

import dev.strata.api.module.SessionLifecycle;
import dev.strata.api.stanza.Session;
import dev.strata.api.stanza.SessionRegistry;
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
 * XEP-0198 Stream Management 1.6.1 for client streams: {@code <enable/>} (with resumption),
 * {@code <resume/>} on a new connection, and keeping a session whose connection was lost for up to
 * {@code resume.timeout} seconds. The counting itself, {@code <r/>}, {@code <a/>}, the bounded
 * queue of unacknowledged stanzas and what becomes of them when a session ends are the stream
 * layer's ({@link StreamAcks}): reloading or unloading this module drops no session and changes no
 * count; while it is away, no stream can enable or resume, and a session whose connection is lost ends.
 */
@Feature(namespace = StreamAcks.NAMESPACE)
@Component(name = "strata.xep0198", service = {StreamFeature.class, SessionLifecycle.class})
@Designate(ocd = StreamManagement.Config.class)
public final class StreamManagement implements InlineFeature, SessionLifecycle {
    static final String NS = StreamAcks.NAMESPACE;
    private static final Logger LOG = LoggerFactory.getLogger(StreamManagement.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    @ObjectClassDefinition(id = "strata.xep0198", name = "XEP-0198 Stream Management")
    @interface Config {
        @AttributeDefinition(min = "0", max = "86400", description = "Most seconds a session whose connection was lost waits to be resumed "
                + "(advertised as 'max'; a client may ask for less); 0: no resumption")
        int resume_timeout() default 300;

        @AttributeDefinition(min = "1", max = "100000", description = "Stanzas a client may leave unacknowledged for longer than ack.timeout; "
                + "past that (or past ten times as many at any moment) its session ends with policy-violation (what it never acknowledged goes "
                + "to its account's other resources or offline storage)")
        int max_unacked() default 500;

        @AttributeDefinition(min = "0", max = "3600", description = "Seconds a client has to acknowledge a burst past max.unacked (offline "
                + "messages, a large roster's presence at login) before its session ends; 0: max.unacked is a hard limit")
        int ack_timeout() default 60;

        @AttributeDefinition(min = "1", max = "100000", description = "Unacknowledged stanzas at which the server asks the client for an ack (<r/>)")
        int request_after() default 5;
    }

    private volatile Config config;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile SessionRegistry registry;

    @Activate
    public StreamManagement(Config config) {
        this.config = config;
    }

    @Modified
    void modified(Config c) {
        config = c;
    }

    /** For tests. */
    void registry(SessionRegistry r) {
        registry = r;
    }

    @Override
    public Element offer(Stage stage, Negotiation negotiation) {
        return stage == Stage.AFTER_AUTH ? Element.of("sm", NS) : null;
    }

    /**
     * XEP-0388/XEP-0386: a SASL2 login may resume a session ({@code <resume/>} in {@code <authenticate/>}),
     * and a Bind 2 request may enable stream management on the new session ({@code <enable/>} in {@code <bind/>}).
     */
    @Override
    public Element inline(Where where, Negotiation negotiation) {
        return Element.of("sm", NS);
    }

    @Override
    public void negotiate(Element element, Negotiation negotiation) {
        switch (element.name()) {
            case "enable" -> enable(element, negotiation);
            case "resume" -> resume(element, negotiation);
            // acks are the stream layer's once enabled; here only when they are not
            case "r", "a" -> negotiation.send(failed(StanzaError.UNEXPECTED_REQUEST, "Stream management is not enabled on this stream (XEP-0198 §3)", null));
            default -> negotiation.fail(StreamError.UNSUPPORTED_STANZA_TYPE, "<" + element.name() + " xmlns='" + NS + "'> is not part of XEP-0198");
        }
    }

    private void enable(Element element, Negotiation negotiation) {
        if (negotiation.session() == null) {
            negotiation.send(failed(StanzaError.UNEXPECTED_REQUEST, "Bind a resource first, or resume a session (XEP-0198 §3)", null));
            return;
        }
        Config c = config;
        boolean resume = ("true".equals(element.attribute("resume")) || "1".equals(element.attribute("resume"))) && c.resume_timeout() > 0;
        long seconds = c.resume_timeout();
        String asked = element.attribute("max");
        if (asked != null) {
            try {
                long a = Long.parseLong(asked);
                if (a > 0) seconds = Math.min(seconds, a);
            } catch (NumberFormatException e) {
                // a preference only: the server's maximum holds
            }
        }
        String id = resume ? newId() : null;
        StreamAcks acks = new StreamAcks(id, Duration.ofSeconds(seconds), c.max_unacked(), c.request_after(), Duration.ofSeconds(c.ack_timeout()));
        Element.Builder enabled = Element.builder("enabled", NS);
        if (resume) enabled.attribute("id", id).attribute("resume", "true").attribute("max", Long.toString(seconds));
        try {
            negotiation.startCounting(acks, enabled.build());
        } catch (StanzaException e) {
            negotiation.send(failed(e.error(), e.getMessage(), null));
            return;
        }
        LOG.debug("Stream management enabled for {}{}", negotiation.session().jid(), resume ? ", resumable for " + seconds + " s" : "");
    }

    private void resume(Element element, Negotiation negotiation) {
        if (negotiation.user() == null) {
            negotiation.send(failed(StanzaError.NOT_AUTHORIZED, "Authenticate first (XEP-0198 §5)", null));
            return;
        }
        if (negotiation.session() != null) {
            negotiation.send(failed(StanzaError.UNEXPECTED_REQUEST, "A resource is bound on this stream already; resume instead of binding (XEP-0198 §5)", null));
            return;
        }
        String previd = element.attribute("previd");
        long h;
        try {
            h = Long.parseLong(String.valueOf(element.attribute("h")));
            if (h < 0 || h > 0xFFFF_FFFFL) throw new NumberFormatException();
        } catch (NumberFormatException e) {
            negotiation.send(failed(StanzaError.BAD_REQUEST, "<resume/> needs an 'h' attribute with a count from 0 to 4294967295", null));
            return;
        }
        Optional<Session> kept = find(negotiation, previd);
        if (kept.isEmpty()) {
            negotiation.send(failed(StanzaError.ITEM_NOT_FOUND, "No session to resume with that id: it expired, ended, or never was", null));
            return;
        }
        Session session = kept.get();
        StreamAcks acks = (StreamAcks) session.attribute(StreamAcks.ATTRIBUTE);
        try {
            acks.ack(h);
        } catch (IllegalArgumentException e) {
            negotiation.fail(StreamError.UNDEFINED_CONDITION, e.getMessage() + " (XEP-0198 §5)");
            return;
        }
        Element resumed = Element.builder("resumed", NS).attribute("h", Long.toString(acks.h())).attribute("previd", previd).build();
        try {
            negotiation.resume(session, resumed);
        } catch (StanzaException e) {
            negotiation.send(failed(e.error(), e.getMessage(), acks.h()));
            return;
        }
        LOG.debug("Stream resumed for {}: {} stanzas sent again", session.jid(), acks.pending());
    }

    /** The authenticated account's session with that resumption id: only one's own sessions are looked at. */
    private Optional<Session> find(Negotiation negotiation, String previd) {
        SessionRegistry r = registry;
        if (previd == null || r == null) return Optional.empty();
        return r.sessions(negotiation.user().bare()).stream()
                .filter(s -> s.isOpen() && s.attribute(StreamAcks.ATTRIBUTE) instanceof StreamAcks a && previd.equals(a.id()))
                .findFirst();
    }

    @Override
    public Duration detached(Session session, String reason) {
        return session.attribute(StreamAcks.ATTRIBUTE) instanceof StreamAcks a && a.resumable() ? a.resumeTimeout() : Duration.ZERO;
    }

    static Element failed(StanzaError condition, String text, Long h) {
        Element.Builder b = Element.builder("failed", NS);
        if (h != null) b.attribute("h", Long.toString(h));
        b.child(Element.of(condition.condition(), StanzaError.NS));
        if (text != null) b.child(Element.builder("text", StanzaError.NS).text(text).build());
        return b.build();
    }

    private static String newId() {
        byte[] b = new byte[18];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }
}
