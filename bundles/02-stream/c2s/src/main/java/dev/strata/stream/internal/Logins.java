package dev.strata.stream.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.Jid;
import dev.strata.api.auth.AccountStore;
import dev.strata.api.auth.FastTokens;
import dev.strata.api.auth.LoginThrottle;
import dev.strata.api.metrics.Metrics;
import dev.strata.api.auth.ScramHash;
import dev.strata.api.stanza.StreamError;
import dev.strata.api.stream.Negotiation;
import dev.strata.api.transport.Connection;
import dev.strata.api.xml.Element;

/**
 * SASL exchanges as both profiles run them, RFC 6120 §6 ({@link SaslFeature}) and XEP-0388 SASL2
 * ({@link Sasl2Feature}): SCRAM-SHA-1/256/512 and their -PLUS variants with the channel bindings of
 * the TLS session (RFC 5802, RFC 7677, RFC 9266), PLAIN over TLS where allowed, XEP-0484 token
 * mechanisms when the FAST module is loaded; failures are throttled per address and per account,
 * slowed, and counted per stream (§6.4.5). The settings are those of {@code strata.stream.c2s}.
 */
@Component(service = Logins.class, configurationPid = "strata.stream.c2s")
public final class Logins {
    static final String SASL_NS = "urn:ietf:params:xml:ns:xmpp-sasl";
    private static final Logger LOG = LoggerFactory.getLogger(Logins.class);
    private static final List<ScramHash> HASHES = List.of(ScramHash.SHA_512, ScramHash.SHA_256, ScramHash.SHA_1);
    /** Stream attributes: the exchange in progress, the failures so far, the channel bindings of the TLS session. */
    private static final String EXCHANGE = "strata.sasl.exchange", FAILURES = "strata.sasl.failures", ATTEMPTS = "strata.sasl.attempts", BINDINGS = "strata.sasl.bindings",
            NO_COMMON_BINDING = "strata.sasl.nocommonbinding";

    private final Events events;
    private volatile C2sStreams.Config config;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile AccountStore accounts;

    /** The server's record of failed logins (shared with the SSH console); without it, nobody logs in: it fails closed. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile LoginThrottle throttle;

    /** The server's metrics, while the metrics module is loaded: logins by mechanism and result. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile Metrics metrics;

    private void count(String mechanism, String result) {
        Metrics m = metrics;
        if (m != null) m.counter("strata_logins", "Client logins (SASL and SASL2) by mechanism and result", "mechanism", "result").inc(mechanism, result);
    }

    /** XEP-0484 tokens, while the FAST module is loaded. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile FastTokens fast;

    @Activate
    public Logins(C2sStreams.Config config, @Reference Events events) {
        this.events = events;
        modified(config);
    }

    @Modified
    void modified(C2sStreams.Config c) {
        config = c;
    }

    /** The FAST module, or null while it is not loaded. */
    FastTokens fast() {
        return fast;
    }

    /** What a profile does with a successful exchange: authenticate the stream and send its success element. */
    @FunctionalInterface
    interface Succeeded {
        void succeeded(Negotiation n, Exchange x, byte[] additionalData, Jid account);
    }

    /** One SASL exchange on a stream: the mechanism's state machine, its name, the profile's namespace and what its success does. */
    record Exchange(Sasl sasl, String mechanism, String namespace, Succeeded then) {
    }

    /** The binding data of this TLS session, computed once it is secure (the offer and SCRAM both need it). */
    @SuppressWarnings("unchecked")
    static Map<String, byte[]> channelBindings(Negotiation n) {
        Connection conn = n.connection();
        if (!conn.isSecure()) return Map.of();
        if (n.attribute(BINDINGS) instanceof Map<?, ?> m) return (Map<String, byte[]>) m;
        Map<String, byte[]> m = new LinkedHashMap<>();
        conn.channelBinding("tls-exporter").ifPresent(b -> m.put("tls-exporter", b));
        conn.channelBinding("tls-server-end-point").ifPresent(b -> m.put("tls-server-end-point", b));
        Map<String, byte[]> bindings = Collections.unmodifiableMap(m); // keeps the preference order (tls-exporter first)
        n.attribute(BINDINGS, bindings);
        return bindings;
    }

    /** The password mechanisms offered on this stream, strongest first. */
    List<String> mechanisms(Negotiation n) {
        List<String> list = new ArrayList<>();
        if (!channelBindings(n).isEmpty()) for (ScramHash h : HASHES) list.add(h.mechanism() + "-PLUS");
        for (ScramHash h : HASHES) list.add(h.mechanism());
        if (n.connection().isSecure() && config.plain_allowed()) list.add("PLAIN");
        return list;
    }

    /** The XEP-0484 mechanisms {@code f} offers on this stream: none without TLS or without the FAST module ({@code f} null). */
    static List<String> fastMechanisms(FastTokens f, Negotiation n) {
        return f == null || !n.connection().isSecure() ? List.of() : f.mechanisms(channelBindings(n).keySet());
    }

    /** Whether an exchange is in progress on this stream in the profile of {@code namespace}. */
    static Exchange exchange(Negotiation n, String namespace) {
        return n.attribute(EXCHANGE) instanceof Exchange x && x.namespace().equals(namespace) ? x : null;
    }

    /**
     * Whether another attempt may start on this stream (RFC 6120 §6.4.5, TLS first); false after
     * answering with a failure or a stream error. Every attempt counts, not only those that end in a
     * failed verification: aborted, malformed or abandoned exchanges would otherwise restart without
     * end (each one a credential lookup).
     */
    boolean mayStart(String namespace, Negotiation n) {
        int attempts = (n.attribute(ATTEMPTS) instanceof Integer i ? i : 0) + 1;
        n.attribute(ATTEMPTS, attempts);
        if (attempts > config.auth_retries()) {
            n.fail(StreamError.POLICY_VIOLATION, "Too many authentication attempts on one stream (RFC 6120 §6.4.5)");
            return false;
        }
        if (!n.connection().isSecure() && config.tls_required()) {
            failure(n, namespace, "encryption-required", "Start TLS first (RFC 6120 §5)");
            return false;
        }
        return true;
    }

    /**
     * Starts the exchange of password mechanism {@code name} (already checked as offered) with the
     * client's initial response ({@code null}: none, so an empty challenge asks for it).
     */
    void start(String name, byte[] initial, String namespace, Negotiation n, Succeeded then) {
        AccountStore accounts = this.accounts;
        if (accounts == null || throttle == null) {
            failure(n, namespace, "temporary-auth-failure", accounts == null ? "Account storage is not available" : "The login throttle is not available");
            return;
        }
        Sasl sasl;
        if (name.equals("PLAIN")) {
            sasl = new PlainServer(n.domain(), accounts::verifyPassword);
        } else {
            boolean plus = name.endsWith("-PLUS");
            ScramHash hash = ScramHash.valueOf(name.replace("-PLUS", "").replace("SCRAM-", "").replace('-', '_'));
            ScramServer scram = new ScramServer(hash, plus, n.domain(), channelBindings(n), u -> accounts.credential(u, hash), n.attribute(NO_COMMON_BINDING) != null);
            // both profiles advertise the same mechanisms (SASL2's FAST ones are inline, not in its list), and XEP-0440 the bindings
            if (config.scram_downgrade_protection()) scram.downgradeProtection(mechanisms(n), channelBindings(n).keySet());
            sasl = scram;
        }
        start(sasl, name, initial, namespace, n, then);
    }

    /** Starts an exchange with a mechanism the caller made (a XEP-0484 token mechanism). */
    void start(Sasl sasl, String name, byte[] initial, String namespace, Negotiation n, Succeeded then) {
        if (throttle == null) {
            failure(n, namespace, "temporary-auth-failure", "The login throttle is not available");
            return;
        }
        Exchange x = new Exchange(sasl, name, namespace, then);
        n.attribute(EXCHANGE, x);
        if (initial == null) {
            n.send(challenge(namespace, new byte[0]));
            return;
        }
        step(x, sasl.evaluate(initial), n);
    }

    /**
     * A top-level element of a SASL profile: {@code start} ({@code <auth/>}, {@code <authenticate/>})
     * goes to {@code begin}; responses and aborts are the same in both profiles; anything else, or
     * anything on an authenticated stream, is a stream error.
     */
    void negotiate(Element e, Negotiation n, String namespace, String start, BiConsumer<Element, Negotiation> begin) {
        if (n.user() != null) {
            n.fail(StreamError.POLICY_VIOLATION, "The stream is authenticated already");
            return;
        }
        if (e.name().equals(start)) {
            begin.accept(e, n);
            return;
        }
        switch (e.name()) {
            case "response" -> respond(e.text(), namespace, n);
            case "abort" -> abort(namespace, n);
            default -> n.fail(StreamError.UNSUPPORTED_STANZA_TYPE, "<" + e.name() + " xmlns='" + namespace + "'> is not a SASL element here");
        }
    }

    /** The client's response to a challenge (base64 text). */
    private void respond(String text, String namespace, Negotiation n) {
        Exchange x = exchange(n, namespace);
        if (x == null) {
            failure(n, namespace, "malformed-request", "No authentication in progress");
            return;
        }
        byte[] data = decode(text);
        if (data == null) {
            n.attribute(EXCHANGE, null);
            failure(n, namespace, "incorrect-encoding", null);
            return;
        }
        step(x, x.sasl().evaluate(data), n);
    }

    private void abort(String namespace, Negotiation n) {
        n.attribute(EXCHANGE, null);
        failure(n, namespace, "aborted", null);
    }

    /** The throttle's verdict for this account from this address (not allowed without a throttle: fail closed). */
    private LoginThrottle.Verdict allowed(String ip, Jid account) {
        LoginThrottle t = throttle;
        if (t == null) return new LoginThrottle.Verdict(false, Duration.ZERO, "The login throttle is not available");
        return t.check(ip, account == null ? null : account.toString());
    }

    /** Base64 SASL data; "=" is empty (RFC 6120 §6.4.2); null when it is not base64. */
    static byte[] decode(String text) {
        String t = text.strip();
        if (t.equals("=")) return new byte[0];
        try {
            return Base64.getMimeDecoder().decode(t);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static Element challenge(String namespace, byte[] data) {
        Element.Builder c = Element.builder("challenge", namespace);
        // RFC 6120 writes empty data as "="; SASL2 leaves the element empty (XEP-0388 §2.2)
        if (data.length > 0) c.text(Base64.getEncoder().encodeToString(data));
        else if (namespace.equals(SASL_NS)) c.text("=");
        return c.build();
    }

    private static String ip(Negotiation n) {
        return n.connection().remoteAddress().getAddress().getHostAddress();
    }

    private void step(Exchange x, Sasl.Step step, Negotiation n) {
        String ip = ip(n);
        switch (step) {
            case Sasl.Challenge(byte[] data) -> n.send(challenge(x.namespace(), data));
            case Sasl.Success(byte[] data, Jid account) -> {
                LoginThrottle.Verdict verdict = allowed(ip, account);
                if (!verdict.allowed()) {
                    fail(x, new Sasl.Failure("temporary-auth-failure", account, verdict.reason()), ip, n);
                    return;
                }
                n.attribute(EXCHANGE, null);
                LoginThrottle t = throttle;
                if (t != null) t.succeeded(ip, account.toString());
                String binding = x.sasl().channelBinding();
                LOG.info("{} authenticated as {} with {}{} ({}{})", ip, account, x.mechanism(), x.namespace().equals(SASL_NS) ? "" : " over SASL2",
                        C2sStream.transport(n.connection()), binding == null ? "" : binding.equals("y") ? ", gs2 flag y" : ", channel binding " + binding);
                count(x.mechanism(), "success");
                x.then().succeeded(n, x, data, account);
            }
            case Sasl.Failure failure -> fail(x, failure, ip, n);
        }
    }

    private void fail(Exchange x, Sasl.Failure failure, String ip, Negotiation n) {
        n.attribute(EXCHANGE, null);
        // a client that only knows a binding type we cannot compute (tls-unique on TLS 1.3, slixmpp 1.8) falls back to
        // SCRAM with gs2 flag y on this stream: having seen our -PLUS offer, that is not a downgrade (RFC 5802 §6)
        // asking for a binding type we lack checks no password: not counted as a failed login, not slowed down
        String missingBinding = x.sasl() instanceof ScramServer s ? s.unsupportedBinding() : null;
        boolean noBinding = missingBinding != null;
        if (noBinding && config.channel_binding_fallback()) n.attribute(NO_COMMON_BINDING, missingBinding);
        String account = failure.user() == null ? null : failure.user().toString();
        // while locked, an attempt is refused whatever it sent, and not counted: it told the guesser nothing,
        // and a user who retries must not lengthen the lock
        LoginThrottle t = throttle;
        LoginThrottle.Verdict verdict = allowed(ip, failure.user());
        if (verdict.allowed() && t != null && !noBinding) t.failed(ip, account);
        int failures = (n.attribute(FAILURES) instanceof Integer i ? i : 0) + 1;
        n.attribute(FAILURES, failures);
        LOG.warn("Authentication failed from {} as {} with {}: {}", ip, account == null ? "?" : account, x.mechanism(),
                verdict.allowed() ? failure.detail() : verdict.reason());
        count(x.mechanism(), "failure");
        events.post("strata/auth/FAILED", Map.of("ip", ip, "jid", account == null ? "" : account, "mechanism", x.mechanism()));
        try {
            if (!noBinding) Thread.sleep(config.auth_failure_delay_ms()); // slows guessing; runs on this stream's virtual thread only
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // not-authorized carries no text; a malformed exchange or an expired token says what was wrong; a lock says until when
        String text = !verdict.allowed() ? verdict.reason()
                : failure.condition().equals("not-authorized") || failure.condition().equals("temporary-auth-failure") ? null : failure.detail();
        failure(n, x.namespace(), verdict.allowed() ? failure.condition() : "temporary-auth-failure", text);
        if (failures >= config.auth_retries()) n.fail(StreamError.NOT_AUTHORIZED, "Too many failed authentication attempts");
    }

    /** A failure element of the profile: the RFC 6120 §6.5 condition (always in the SASL namespace) and a text. */
    static void failure(Negotiation n, String namespace, String condition, String text) {
        Element.Builder f = Element.builder("failure", namespace).child(Element.of(condition, SASL_NS));
        if (text != null) f.child(Element.builder("text", namespace).attribute(Element.XML_NS, "lang", "en").text(text).build());
        n.send(f.build());
    }
}
