package dev.strata.xep0077;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.InvalidJidException;
import dev.strata.api.Jid;
import dev.strata.api.auth.AccountExistsException;
import dev.strata.api.auth.AccountStore;
import dev.strata.api.module.DiscoFeature;
import dev.strata.api.module.IqHandler;
import dev.strata.api.module.IqRoute;
import dev.strata.api.server.ServerInfo;
import dev.strata.api.stanza.Iq;
import dev.strata.api.stanza.Origin;
import dev.strata.api.stanza.StanzaError;
import dev.strata.api.stanza.StanzaException;
import dev.strata.api.stanza.StreamError;
import dev.strata.api.stream.Feature;
import dev.strata.api.stream.Negotiation;
import dev.strata.api.stream.StreamFeature;
import dev.strata.api.xml.Element;

/**
 * XEP-0077 In-Band Registration 2.4: before authentication (over TLS) a client registers an
 * account, when policy allows (strata.xep0077 allow.registration: on in development, off in
 * production); once authenticated it changes its password or cancels its account (all its
 * sessions then end with not-authorized). Registrations per client address are rate-limited;
 * error replies never echo a request that carries a password.
 */
@IqRoute(namespace = Registration.NS, target = {IqRoute.To.SERVER, IqRoute.To.SELF})
@DiscoFeature(feature = Registration.NS)
@Feature(namespace = Registration.FEATURE, iq = Registration.NS)
@Component(name = "strata.xep0077", service = {IqHandler.class, StreamFeature.class})
@Designate(ocd = Registration.Config.class)
public final class Registration implements IqHandler, StreamFeature {
    static final String NS = "jabber:iq:register";
    static final String FEATURE = "http://jabber.org/features/iq-register";
    private static final Logger LOG = LoggerFactory.getLogger(Registration.class);

    @ObjectClassDefinition(id = "strata.xep0077", name = "XEP-0077 In-Band Registration")
    @interface Config {
        @AttributeDefinition(description = "Let anyone create an account in band (spam risk: off in production)")
        boolean allow_registration() default false;

        @AttributeDefinition(min = "1", description = "Accounts one client address may register per hour")
        int registrations_per_address_per_hour() default 5;

        @AttributeDefinition(description = "Let users change their password in band")
        boolean allow_password_change() default true;

        @AttributeDefinition(description = "Let users delete their account in band")
        boolean allow_cancel() default true;
    }

    private final AccountStore accounts;
    private final ServerInfo server;
    private final ConcurrentHashMap<String, Deque<Long>> recent = new ConcurrentHashMap<>();
    private volatile Config config;

    @Activate
    public Registration(Config config, @Reference AccountStore accounts, @Reference ServerInfo server) {
        this.accounts = accounts;
        this.server = server;
        this.config = config;
        for (Jid admin : server.admins()) {
            if (!accounts.exists(admin)) {
                LOG.warn("The configured admin {} has no account: create it with user:add (in-band registration of the name is refused, "
                        + "so nobody else can take it)", admin);
            }
        }
    }

    @Modified
    void modified(Config c) {
        config = c;
    }

    // --- before authentication: the stream feature ---------------------------------------------

    @Override
    public Element offer(Stage stage, Negotiation negotiation) {
        return stage == Stage.BEFORE_AUTH && config.allow_registration() && negotiation.connection().isSecure() ? Element.of("register", FEATURE) : null;
    }

    @Override
    public void negotiate(Element stanza, Negotiation negotiation) {
        if (negotiation.user() != null) { // authenticated, not bound: the account's own registration IQs come once a resource is bound
            negotiation.fail(StreamError.NOT_AUTHORIZED, "Bind a resource first (RFC 6120 §7)");
            return;
        }
        negotiation.answer(stanza, iq -> register(iq, negotiation));
    }

    private Element register(Iq iq, Negotiation negotiation) throws StanzaException {
        if (!config.allow_registration()) throw new StanzaException(StanzaError.SERVICE_UNAVAILABLE, "In-band registration is disabled", false);
        if (iq.type() == Iq.Type.GET) {
            return Element.builder("query", NS)
                    .child(Element.builder("instructions", NS).text("Choose a username and password to register with this server.").build())
                    .child(Element.of("username", NS)).child(Element.of("password", NS)).build();
        }
        if (iq.type() != Iq.Type.SET) throw new StanzaException(StanzaError.BAD_REQUEST, null);
        String username = text(iq, "username");
        String password = text(iq, "password");
        if (username.isEmpty() || password.isEmpty()) {
            throw new StanzaException(StanzaError.NOT_ACCEPTABLE, "Both a username and a password are required", false);
        }
        Jid user;
        try {
            user = Jid.of(username, negotiation.domain(), null);
        } catch (InvalidJidException e) {
            throw new StanzaException(StanzaError.NOT_ACCEPTABLE, "The username is not valid: " + e.getMessage(), false);
        }
        if (server.isAdmin(user)) {
            // an admin's name is the operator's to create (user:add): whoever registered it would get admin rights
            LOG.warn("In-band registration of the configured admin name {} refused", user);
            throw new StanzaException(StanzaError.CONFLICT, "The username is reserved", false);
        }
        String address = negotiation.connection().remoteAddress().getAddress().getHostAddress();
        if (!withinRate(address)) {
            LOG.warn("Registration refused for {}: too many from {}", user, address);
            throw new StanzaException(StanzaError.NOT_ACCEPTABLE, "Too many registrations from your address; try again later", false);
        }
        try {
            accounts.create(user, password);
        } catch (AccountExistsException e) {
            throw new StanzaException(StanzaError.CONFLICT, "The username is taken", false);
        } catch (IllegalArgumentException e) {
            throw new StanzaException(StanzaError.NOT_ACCEPTABLE, e.getMessage(), false);
        }
        LOG.info("Registered {} in band from {}", user, address);
        return null;
    }

    private boolean withinRate(String address) {
        Deque<Long> times = recent.computeIfAbsent(address, k -> new ArrayDeque<>());
        synchronized (times) {
            long hourAgo = System.currentTimeMillis() - 3_600_000L;
            while (!times.isEmpty() && times.peekFirst() < hourAgo) times.removeFirst();
            if (times.size() >= config.registrations_per_address_per_hour()) return false;
            times.addLast(System.currentTimeMillis());
            return true;
        }
    }

    // --- after authentication: password change and cancellation ---------------------------------

    @Override
    public Element handle(Iq iq, Origin from) throws StanzaException {
        Jid account = from.jid().bare();
        if (iq.type() == Iq.Type.GET) {
            return Element.builder("query", NS).child(Element.of("registered", NS))
                    .child(Element.builder("username", NS).text(account.local()).build()).child(Element.of("password", NS)).build();
        }
        List<Element> children = iq.payload().elements().toList();
        if (children.stream().anyMatch(c -> c.is("remove", NS))) {
            if (children.size() != 1) throw new StanzaException(StanzaError.BAD_REQUEST, "<remove/> must be alone (XEP-0077 §3.2)");
            if (!config.allow_cancel()) throw new StanzaException(StanzaError.NOT_ALLOWED, "Accounts are not deleted in band here");
            // its sessions end with it (closes queued on their workers: this one's result goes out first)
            accounts.delete(account);
            LOG.info("{} cancelled its registration", account);
            return null;
        }
        if (!config.allow_password_change()) throw new StanzaException(StanzaError.NOT_ALLOWED, "Passwords are not changed in band here", false);
        String username = text(iq, "username");
        String password = text(iq, "password");
        if (password.isEmpty() || !username.isEmpty() && !Jid.tryParse(username + "@" + account.domain()).map(account::equals).orElse(false)) {
            throw new StanzaException(StanzaError.BAD_REQUEST, "Send your own username and a new, non-empty password", false);
        }
        try {
            accounts.changePassword(account, password);
        } catch (IllegalArgumentException e) {
            throw new StanzaException(StanzaError.NOT_ACCEPTABLE, e.getMessage(), false);
        }
        return null;
    }

    private static String text(Iq iq, String name) {
        return iq.payload().child(name, NS).map(Element::text).map(String::strip).orElse("");
    }
}
