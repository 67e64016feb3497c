package dev.strata.xep0215;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.Jid;
import dev.strata.api.module.DiscoFeature;
import dev.strata.api.module.IqHandler;
import dev.strata.api.module.IqRoute;
import dev.strata.api.server.ServerInfo;
import dev.strata.api.stanza.Iq;
import dev.strata.api.stanza.Origin;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.xml.Element;

/**
 * XEP-0215 External Service Discovery 1.0.0: the STUN and TURN servers (and any other external
 * service) an account's client should use for calls, from configuration. TURN entries get
 * time-limited credentials by the shared-secret scheme of coturn's "TURN REST API" (also used by
 * Prosody and ejabberd): username {@code <expiry>:<bare JID>}, password
 * {@code base64(HMAC-SHA1(secret, username))}, so the TURN server checks them without asking us.
 */
@IqRoute(namespace = ExternalServices.NS, type = "get", target = IqRoute.To.SERVER)
@DiscoFeature(feature = ExternalServices.NS)
@Component(name = "strata.xep0215", service = IqHandler.class)
@Designate(ocd = ExternalServices.Config.class)
public final class ExternalServices implements IqHandler {
    private static final Logger LOG = LoggerFactory.getLogger(ExternalServices.class);
    static final String NS = "urn:xmpp:extdisco:2";
    /** {@code type:host[:port][?transport=udp|tcp]} (RFC 7064/7065 URIs for STUN and TURN; any XEP-0215 type alike). */
    private static final Pattern URI = Pattern.compile("([a-z][a-z0-9+.-]*):(\\[[0-9A-Fa-f:.]+\\]|[^\\s:?\\[\\]]+)(?::(\\d{1,5}))?(?:\\?transport=(udp|tcp))?");

    @ObjectClassDefinition(id = "strata.xep0215", name = "XEP-0215 External Service Discovery")
    @interface Config {
        @AttributeDefinition(required = false, description = "The services, as URIs: stun:HOST[:PORT], turn:HOST[:PORT][?transport=udp|tcp], "
                + "turns:HOST[:PORT][?transport=tcp], or TYPE:HOST[:PORT] for another registered type")
        String[] services() default {};

        @AttributeDefinition(required = false, type = org.osgi.service.metatype.annotations.AttributeType.PASSWORD,
                description = "The TURN server's shared secret (coturn: use-auth-secret, static-auth-secret); empty: TURN entries carry no credentials")
        String secret() default "";

        @AttributeDefinition(min = "60", description = "Seconds the TURN credentials given out are valid")
        int credentials_ttl() default 86400;
    }

    /** One configured service. */
    record Service(String type, String host, int port, String transport) {
        boolean turn() {
            return type.equals("turn") || type.equals("turns");
        }
    }

    private final ServerInfo server;
    private final Clock clock;
    private volatile Config config;
    private volatile List<Service> services;

    @Activate
    public ExternalServices(Config config, @Reference ServerInfo server) {
        this(config, server, Clock.systemUTC());
    }

    ExternalServices(Config config, ServerInfo server, Clock clock) {
        this.server = server;
        this.clock = clock;
        modified(config);
    }

    @Modified
    void modified(Config c) {
        this.services = parse(c.services());
        this.config = c;
        LOG.info("External services for clients: {}", services.isEmpty() ? "none configured (strata.xep0215 services)" : services);
    }

    /** The configured URIs; one that does not parse is logged and left out. */
    static List<Service> parse(String[] uris) {
        List<Service> out = new ArrayList<>();
        for (String u : uris) {
            if (u == null || u.isBlank()) continue;
            Matcher m = URI.matcher(u.strip());
            if (!m.matches()) {
                LOG.warn("strata.xep0215 services: '{}' is not TYPE:HOST[:PORT][?transport=udp|tcp]; left out", u.strip());
                continue;
            }
            String type = m.group(1).toLowerCase(Locale.ROOT), host = m.group(2);
            if (host.startsWith("[")) host = host.substring(1, host.length() - 1);
            int port = m.group(3) == null ? switch (type) {
                case "stun", "turn" -> 3478;
                case "stuns", "turns" -> 5349;
                default -> 0;
            } : Integer.parseInt(m.group(3));
            if (port > 65535) {
                LOG.warn("strata.xep0215 services: '{}' has no valid port; left out", u.strip());
                continue;
            }
            String transport = m.group(4) != null ? m.group(4) : type.equals("turns") || type.equals("stuns") ? "tcp" : type.equals("stun") || type.equals("turn") ? "udp" : null;
            out.add(new Service(type, host, port, transport));
        }
        return List.copyOf(out);
    }

    @Override
    public Element handle(Iq iq, Origin from) throws StanzaException {
        Jid requester = iq.from();
        if (requester == null || requester.local() == null || !server.domains().contains(requester.domain())) {
            throw new StanzaException(StanzaError.FORBIDDEN, "External services are listed for the accounts of this server only");
        }
        Element payload = iq.payload();
        if (payload.is("services", NS)) {
            String type = payload.attribute("type");
            Element.Builder out = Element.builder("services", NS);
            if (type != null) out.attribute("type", type);
            for (Service s : services) if (type == null || type.equals(s.type())) out.child(element(s, requester));
            return out.build();
        }
        if (payload.is("credentials", NS)) {
            Element asked = payload.child("service", NS).orElseThrow(() -> new StanzaException(StanzaError.BAD_REQUEST,
                    "<credentials/> names the service it asks for: <service type='...' host='...'/>"));
            String type = asked.attribute("type"), host = asked.attribute("host"), port = asked.attribute("port");
            if (type == null || host == null) throw new StanzaException(StanzaError.BAD_REQUEST, "The service asked for needs its type and host");
            for (Service s : services) {
                if (s.type().equals(type) && s.host().equalsIgnoreCase(host) && (port == null || port.equals(Integer.toString(s.port())))) {
                    return Element.builder("credentials", NS).child(element(s, requester)).build();
                }
            }
            throw new StanzaException(StanzaError.ITEM_NOT_FOUND, "No " + type + " service on " + host + (port == null ? "" : ":" + port) + " is listed here");
        }
        throw new StanzaException(StanzaError.BAD_REQUEST, "Ask for <services/> or <credentials/> in " + NS);
    }

    /** A service as listed to {@code requester}: with fresh credentials for TURN when a secret is set. */
    Element element(Service s, Jid requester) {
        Element.Builder e = Element.builder("service", NS).attribute("type", s.type()).attribute("host", s.host());
        if (s.port() > 0) e.attribute("port", Integer.toString(s.port()));
        if (s.transport() != null) e.attribute("transport", s.transport());
        Config c = config;
        if (s.turn() && !c.secret().isEmpty()) {
            Instant expires = clock.instant().truncatedTo(ChronoUnit.SECONDS).plusSeconds(c.credentials_ttl());
            String username = expires.getEpochSecond() + ":" + requester.bare();
            e.attribute("username", username).attribute("password", password(c.secret(), username)).attribute("expires", expires.toString())
                    .attribute("restricted", "1");
        }
        return e.build();
    }

    /** The TURN REST API password: base64(HMAC-SHA1(secret, username)). */
    static String password(String secret, String username) {
        try {
            Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
            return Base64.getEncoder().encodeToString(mac.doFinal(username.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException(e);
        }
    }
}
