package dev.strata.stream.internal;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.InvalidJidException;
import dev.strata.api.Jid;
import dev.strata.api.auth.FastTokens;
import dev.strata.api.stanza.Session;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.stream.BindExtension;
import dev.strata.api.stream.Feature;
import dev.strata.api.stream.InlineFeature;
import dev.strata.api.stream.Negotiation;
import dev.strata.api.stream.StreamFeature;
import dev.strata.api.xml.Element;

/**
 * XEP-0388 Extensible SASL Profile (SASL2) with XEP-0386 Bind 2 and XEP-0484 FAST: one
 * {@code <authenticate/>} authenticates (a password mechanism, or a FAST token), resumes a session
 * or binds a new one, and enables the session's features, with no stream restart; the
 * {@code <success/>} carries the answers and the features of the authenticated stream follow it.
 * Features negotiated inline are the {@link InlineFeature}s on the whiteboard; FAST is offered
 * while its module is loaded. Mechanisms, throttling and failures are {@link Logins}'.
 */
@Feature(namespace = Sasl2Feature.NS)
@Component(service = StreamFeature.class)
public final class Sasl2Feature implements StreamFeature {
    static final String NS = "urn:xmpp:sasl:2";
    static final String BIND_NS = "urn:xmpp:bind:0";
    static final String FAST_NS = "urn:xmpp:fast:0";
    private static final String STREAMS_NS = "http://etherx.jabber.org/streams";
    /** The namespaces whose children of a request this class reads itself. */
    private static final Set<String> OWN = Set.of(NS, BIND_NS, FAST_NS);
    private static final Logger LOG = LoggerFactory.getLogger(Sasl2Feature.class);
    private static final Pattern UUID = Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    private final Logins logins;
    /** What modules add to every {@code <bound/>} (XEP-0313 metadata), in the order they came. */
    private final List<BindExtension> extensions = new CopyOnWriteArrayList<>();

    @Activate
    public Sasl2Feature(@Reference Logins logins) {
        this.logins = logins;
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void addExtension(BindExtension extension) {
        extensions.add(extension);
    }

    void removeExtension(BindExtension extension) {
        extensions.remove(extension);
    }

    @Override
    public Element offer(Stage stage, Negotiation n) {
        if (stage != Stage.BEFORE_AUTH || !(n instanceof C2sStream s)) return null;
        Element.Builder a = Element.builder("authentication", NS);
        for (String name : logins.mechanisms(n)) a.child(Element.builder("mechanism", NS).text(name).build());
        Element.Builder inline = Element.builder("inline", NS);
        Element.Builder bindInline = Element.builder("inline", BIND_NS);
        for (Map.Entry<String, StreamFeature> e : s.streamFeatures().entrySet()) {
            if (!(e.getValue() instanceof InlineFeature f)) continue;
            if (offers(f, InlineFeature.Where.BIND2, n) != null) bindInline.child(Element.builder("feature", BIND_NS).attribute("var", e.getKey()).build());
            Element sasl2 = offers(f, InlineFeature.Where.SASL2, n);
            if (sasl2 != null) inline.child(sasl2);
        }
        inline.child(Element.builder("bind", BIND_NS).child(bindInline.build()).build());
        List<String> fast = Logins.fastMechanisms(logins.fast(), n);
        if (!fast.isEmpty()) {
            Element.Builder f = Element.builder("fast", FAST_NS);
            for (String m : fast) f.child(Element.builder("mechanism", FAST_NS).text(m).build());
            inline.child(f.build());
        }
        return a.child(inline.build()).build();
    }

    private static Element offers(InlineFeature f, InlineFeature.Where where, Negotiation n) {
        try {
            return f.inline(where, n);
        } catch (RuntimeException e) {
            LOG.error("Inline feature {} failed to offer itself", f.getClass().getName(), e);
            return null;
        }
    }

    @Override
    public void negotiate(Element e, Negotiation n) {
        logins.negotiate(e, n, NS, "authenticate", this::authenticate);
    }

    private void authenticate(Element e, Negotiation n) {
        if (!logins.mayStart(NS, n)) return;
        String name = e.attribute("mechanism");
        List<String> offered = logins.mechanisms(n);
        FastTokens tokens = logins.fast(); // read once: the module may go away meanwhile
        List<String> fast = Logins.fastMechanisms(tokens, n);
        if (name == null || !offered.contains(name) && !fast.contains(name)) {
            Logins.failure(n, NS, "invalid-mechanism", "Offered: " + String.join(" ", offered) + (fast.isEmpty() ? "" : "; with a FAST token: " + String.join(" ", fast)));
            return;
        }
        if (e.attribute("upgrade") != null) {
            Logins.failure(n, NS, "invalid-mechanism", "No upgrade tasks are offered here (XEP-0388 §2.7)");
            return;
        }
        Optional<Element> agent = e.child("user-agent", NS);
        String clientId = agent.map(a -> a.attribute("id")).orElse(null);
        if (clientId != null && !UUID.matcher(clientId).matches()) {
            Logins.failure(n, NS, "malformed-request", "The user-agent id must be a UUID (XEP-0388 §2.3), not '" + clip(clientId) + "'");
            return;
        }
        FastTokens.Client client = clientId == null ? null : new FastTokens.Client(clientId.toLowerCase(Locale.ROOT),
                agent.flatMap(a -> a.child("software", NS)).map(Element::text).map(String::strip).orElse(""),
                agent.flatMap(a -> a.child("device", NS)).map(Element::text).map(String::strip).orElse(""));
        Optional<Element> requestToken = e.child("request-token", FAST_NS);
        if (requestToken.isPresent()) {
            String m = requestToken.get().attribute("mechanism");
            if (m == null || !fast.contains(m)) {
                Logins.failure(n, NS, "invalid-mechanism", "request-token names a mechanism not offered for FAST: " + (fast.isEmpty() ? "FAST is not available" : "offered: " + String.join(" ", fast)));
                return;
            }
            if (client == null) {
                Logins.failure(n, NS, "malformed-request", "A FAST token is issued to one client: send <user-agent id='a UUID'/> with request-token (XEP-0484 §4)");
                return;
            }
        }
        byte[] initial = null;
        Optional<Element> ir = e.child("initial-response", NS);
        if (ir.isPresent()) {
            String text = ir.get().text().strip();
            initial = text.isEmpty() ? new byte[0] : Logins.decode(text);
            if (initial == null) {
                Logins.failure(n, NS, "incorrect-encoding", "The initial response is not base64");
                return;
            }
        }
        Logins.Succeeded then = (neg, x, data, account) -> succeeded(neg, x, data, account, e, client);
        if (fast.contains(name)) {
            if (client == null) {
                Logins.failure(n, NS, "malformed-request", "A FAST token is used by the client it was issued to: send <user-agent id='...'/> (XEP-0484 §5)");
                return;
            }
            boolean invalidate = e.child("fast", FAST_NS).map(f -> "true".equals(f.attribute("invalidate")) || "1".equals(f.attribute("invalidate"))).orElse(false);
            TokenServer sasl = new TokenServer(tokens, name, n.domain(), client.id(), Logins.channelBindings(n), invalidate);
            logins.start(sasl, name, initial == null ? new byte[0] : initial, NS, n, then);
        } else {
            logins.start(name, initial, NS, n, then);
        }
    }

    private static String clip(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "…" : s;
    }

    /**
     * The exchange succeeded: the stream is authenticated without a restart, inline features of the
     * request run (resumption first; if nothing was resumed, Bind 2 binds and enables the session's
     * features), and the success leaves with their answers, followed by the stream's features and
     * then whatever was written to the new session meanwhile.
     */
    private void succeeded(Negotiation n, Logins.Exchange x, byte[] data, Jid account, Element request, FastTokens.Client client) {
        if (!(n instanceof C2sStream s)) throw new IllegalStateException("SASL2 runs on client streams only");
        s.authenticated(account, x.mechanism(), false);
        s.hold();
        Element.Builder success = Element.builder("success", NS);
        if (data.length > 0) success.child(Element.builder("additional-data", NS).text(Base64.getEncoder().encodeToString(data)).build());
        List<Element> answers = inline(request, InlineFeature.Where.SASL2, s);
        Element bound = null;
        Optional<Element> bind = request.child("bind", BIND_NS);
        if (s.session() == null && bind.isPresent()) bound = bind(s, bind.get(), account, client);
        Session session = s.session();
        success.child(Element.builder("authorization-identifier", NS).text((session != null ? session.jid() : account).toString()).build());
        for (Element answer : answers) success.child(answer);
        if (bound != null) success.child(bound);
        FastTokens.Token token = token(x, request, account, client);
        if (token != null) {
            success.child(Element.builder("token", FAST_NS).attribute("token", token.secret())
                    .attribute("expiry", DateTimeFormatter.ISO_INSTANT.format(token.expiry())).build());
        }
        Element.Builder next = Element.builder("features", STREAMS_NS);
        for (Element f : s.offered()) next.child(f);
        s.release(List.of(success.build(), next.build()));
    }

    /** The token for the success element: one the client asked for, or one rotated in on a token login. */
    private FastTokens.Token token(Logins.Exchange x, Element request, Jid account, FastTokens.Client client) {
        FastTokens tokens = logins.fast();
        Optional<Element> ask = request.child("request-token", FAST_NS);
        if (tokens != null && ask.isPresent() && client != null) {
            try {
                return tokens.issue(account, client, ask.get().attribute("mechanism"));
            } catch (RuntimeException e) {
                LOG.warn("No FAST token for {}: {}", account, e.toString());
                return null;
            }
        }
        return x.sasl() instanceof TokenServer t ? t.next() : null;
    }

    /**
     * XEP-0386: binds {@code tag/id}, the id stable for one client (user-agent id) and tag, and runs
     * the inline features the request names on the new session; unknown ones are ignored (§3).
     * Null when no resource could be bound (the client may still bind the RFC 6120 way).
     */
    private Element bind(C2sStream s, Element request, Jid account, FastTokens.Client client) {
        String tag = request.child("tag", BIND_NS).map(Element::text).map(String::strip).orElse("");
        Session session = null;
        StanzaException refused = null;
        for (int attempt = 0; attempt < 2 && session == null; attempt++) {
            // a client's stable resource first; if the policy refuses to replace it, a fresh one
            String id = attempt == 0 && client != null ? stableId(account, client.id(), tag) : BindFeature.generatedResource();
            try {
                session = s.bind(account.withResource(tag.isEmpty() ? id : tag + "/" + id));
            } catch (InvalidJidException e) {
                tag = ""; // a tag that makes no valid resource: the server's id alone
            } catch (StanzaException e) {
                refused = e;
            }
        }
        if (session == null) {
            LOG.info("Bind 2 for {} bound nothing: {}", account, refused == null ? "no valid resource" : refused.getMessage());
            return null;
        }
        Element.Builder bound = Element.builder("bound", BIND_NS);
        for (BindExtension x : extensions) {
            try {
                Element e = x.bound(session);
                if (e != null) bound.child(e);
            } catch (RuntimeException e) {
                LOG.error("Bind 2 extension {} failed for {}; left out of <bound/>", x.getClass().getName(), session.jid(), e);
            }
        }
        for (Element a : inline(request, InlineFeature.Where.BIND2, s)) bound.child(a);
        return bound.build();
    }

    /**
     * Hands each child of {@code request} (an {@code <authenticate/>} or a {@code <bind/>}) to the
     * inline feature offered there for its namespace; returns what they answered. Children in SASL2's,
     * Bind 2's and FAST's namespaces are this class's own; those of features not offered there are
     * ignored (XEP-0386 §3).
     */
    private static List<Element> inline(Element request, InlineFeature.Where where, C2sStream s) {
        List<Element> answers = new ArrayList<>();
        Map<String, StreamFeature> features = s.streamFeatures();
        for (Element child : request.elements().toList()) {
            if (features.get(child.namespace()) instanceof InlineFeature f && offers(f, where, s) != null) {
                f.negotiate(child, new InlineNegotiation(s, where, answers));
            } else if (!OWN.contains(child.namespace())) {
                LOG.debug("{} of {} names {}, not offered inline there; ignored", request.name(), s.user(), child.namespace());
            }
        }
        return answers;
    }

    /** The same for one account, client and tag, and says nothing of the user-agent id (XEP-0386 §3.1). */
    static String stableId(Jid account, String clientId, String tag) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest((account + "\0" + clientId + "\0" + tag).getBytes(UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOf(d, 9));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
