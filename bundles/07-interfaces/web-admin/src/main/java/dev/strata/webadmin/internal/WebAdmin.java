package dev.strata.webadmin.internal;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.URLDecoder;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.Jid;
import dev.strata.api.auth.AccountStore;
import dev.strata.api.auth.LoginThrottle;
import dev.strata.api.http.HttpEndpoint;
import dev.strata.api.metrics.Metrics;
import dev.strata.api.http.HttpExchange;
import dev.strata.api.server.ServerInfo;

/**
 * The web admin at {@code /admin/} on the HTTP listeners: what an operator does in the SSH console
 * (users, sessions, modules and features, configuration with its files and lines, certificates,
 * the log) as server-rendered pages without scripts. Each action runs the console's own command
 * (so the console's rules apply, and it is logged with the administrator's JID), its arguments
 * passed as values, never parsed as a command line.
 *
 * <p>Only the server's administrators log in, with their XMPP password (checked against the
 * stored SCRAM verifier, through the server's login throttle); the session is a random cookie
 * ({@code HttpOnly; Secure; SameSite=Strict}) that lapses after {@code idle.minutes}; every change
 * is a POST carrying the session's CSRF token (403 without it, or from another origin). It is an
 * operations endpoint: only {@code strata.transport.http operations.allow} (loopback by default)
 * reaches it.
 */
@Component(name = "strata.webadmin", immediate = true, service = {})
@Designate(ocd = WebAdmin.Config.class)
public final class WebAdmin {
    private static final Logger LOG = LoggerFactory.getLogger(WebAdmin.class);
    static final String BASE = "/admin/", COOKIE = "strata_admin";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,100}");

    @ObjectClassDefinition(id = "strata.webadmin", name = "Web admin")
    @interface Config {
        @AttributeDefinition(min = "1", max = "1440", description = "Minutes an admin session lives without a request")
        int idle_minutes() default 30;
    }

    /** The actions a form may ask for: the console command, and the form fields that are its arguments. */
    record Action(String command, List<String> fields, String page) {
    }

    static final Map<String, Action> ACTIONS = new LinkedHashMap<>();

    static {
        ACTIONS.put("user-add", new Action("user:add", List.of("jid", "password"), "users"));
        ACTIONS.put("user-passwd", new Action("user:passwd", List.of("jid", "password"), "users"));
        ACTIONS.put("user-delete", new Action("user:delete", List.of("jid"), "users"));
        ACTIONS.put("session-kick", new Action("session:kick", List.of("jid"), "sessions"));
        ACTIONS.put("module-load", new Action("module:load", List.of("name"), "modules"));
        ACTIONS.put("module-unload", new Action("module:unload", List.of("name"), "modules"));
        ACTIONS.put("module-reload", new Action("module:reload", List.of("name"), "modules"));
        ACTIONS.put("feature-install", new Action("feature:install", List.of("name"), "modules"));
        ACTIONS.put("feature-uninstall", new Action("feature:uninstall", List.of("name"), "modules"));
        ACTIONS.put("cert-reload", new Action("cert:reload", List.of(), "certificates"));
    }

    /** An administrator's browser session. */
    static final class Session {
        final String id, csrf;
        final Jid admin;
        volatile Instant seen = Instant.now();
        volatile String flash;

        Session(String id, String csrf, Jid admin) {
            this.id = id;
            this.csrf = csrf;
            this.admin = admin;
        }
    }

    private final CommandProcessor processor;
    private final ServerInfo server;
    private final Duration idle;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();
    private final List<ServiceRegistration<HttpEndpoint>> registrations;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile AccountStore accounts;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile LoginThrottle throttle;

    /** The server's metrics, while the metrics module is loaded: the dashboard's sessions, logins and stanza rates. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile Metrics metrics;

    /** Stanzas from and to clients, sampled every 5 s over the last minute. */
    private final Rates stanzaRates = new Rates(Duration.ofMinutes(1));
    private final ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("strata-webadmin-rates").factory());

    @Activate
    public WebAdmin(BundleContext context, Config config, @Reference CommandProcessor processor, @Reference ServerInfo server) {
        this.processor = processor;
        this.server = server;
        this.idle = Duration.ofMinutes(config.idle_minutes());
        sampler.scheduleAtFixedRate(() -> {
            Metrics m = metrics;
            if (m != null) stanzaRates.add(System.nanoTime(), m.read("strata_client_stanzas"));
        }, 0, 5, TimeUnit.SECONDS);
        registrations = List.of(register(context, BASE, this::handle),
                register(context, "/admin", ex -> ex.respond(308, Map.of("Location", BASE), new byte[0])));
    }

    private static ServiceRegistration<HttpEndpoint> register(BundleContext context, String path, HttpEndpoint e) {
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(HttpEndpoint.PATH, path);
        props.put(HttpEndpoint.OPERATIONS, Boolean.TRUE);
        return context.registerService(HttpEndpoint.class, e, props);
    }

    @Deactivate
    void deactivate() {
        sampler.shutdownNow();
        for (var r : registrations) {
            try {
                r.unregister();
            } catch (IllegalStateException e) {
                // the bundle is stopping and took it already
            }
        }
    }

    // --- requests -----------------------------------------------------------------------------------

    void handle(HttpExchange ex) throws IOException {
        String page = ex.path().substring(BASE.length());
        boolean post = ex.method().equals("POST");
        if (!post && !ex.method().equals("GET") && !ex.method().equals("HEAD")) {
            text(ex, 405, "Only GET and POST here", Map.of("Allow", "GET, HEAD, POST"));
            return;
        }
        if (post && !sameOrigin(ex)) {
            text(ex, 403, "A change must come from this admin's own pages (the Origin does not match)", Map.of());
            return;
        }
        Map<String, String> form = post ? form(ex) : Map.of();
        if (post && page.equals("login")) {
            login(ex, form);
            return;
        }
        Session s = session(ex);
        if (s == null) {
            html(ex, 401, Pages.login(null), Map.of());
            return;
        }
        if (post) {
            if (!s.csrf.equals(form.get("csrf"))) {
                LOG.warn("Web admin: a change by {} without its CSRF token was refused ({} {})", s.admin, ex.method(), ex.path());
                text(ex, 403, "Refused: the form's CSRF token is missing or wrong; reload the page and try again", Map.of());
                return;
            }
            if (page.equals("logout")) {
                sessions.remove(s.id);
                LOG.info("Web admin: {} logged out", s.admin);
                ex.respond(303, Map.of("Location", BASE, "Set-Cookie", COOKIE + "=; Path=/admin; Max-Age=0; HttpOnly; Secure; SameSite=Strict"), new byte[0]);
                return;
            }
            if (page.equals("run")) {
                run(ex, s, form);
                return;
            }
            text(ex, 404, "Not found", Map.of());
            return;
        }
        String flash = s.flash;
        s.flash = null;
        String body = switch (page) {
            case "" -> Pages.dashboard(s, flash, dashboard());
            case "users" -> Pages.users(s, flash, server.domains().stream().map(d -> new String[] {d, command(s, "user:list", List.of(d), false)}).toList());
            case "sessions" -> Pages.sessions(s, flash, command(s, "session:list", List.of(), false));
            case "modules" -> Pages.modules(s, flash, command(s, "module:list", List.of(), false), command(s, "feature:list", List.of(), false));
            case "config" -> Pages.config(s, flash, command(s, "config:get", List.of(), false));
            case "certificates" -> Pages.certificates(s, flash, command(s, "cert:list", List.of(), false));
            case "log" -> Pages.log(s, flash, command(s, "log:tail", List.of("200"), false));
            default -> null;
        };
        if (body == null) text(ex, 404, "Not found", Map.of());
        else html(ex, 200, body, Map.of());
    }

    /** A POST from another site's page carries its Origin; ours carries ours (or none, from old browsers and tools). */
    private static boolean sameOrigin(HttpExchange ex) {
        Optional<String> origin = ex.header("Origin");
        if (origin.isEmpty()) return true;
        String host = ex.header("Host").orElse("");
        return origin.get().equals((ex.secure() ? "https://" : "http://") + host);
    }

    private void login(HttpExchange ex, Map<String, String> form) throws IOException {
        String ip = ex.remoteAddress().getAddress().getHostAddress();
        Jid jid;
        try {
            jid = Jid.of(form.getOrDefault("jid", "").strip()).bare();
        } catch (RuntimeException e) {
            html(ex, 401, Pages.login("That is not a JID"), Map.of());
            return;
        }
        LoginThrottle t = throttle;
        AccountStore a = accounts;
        if (t == null || a == null) {
            html(ex, 503, Pages.login("Logins are not possible now: the account store or the login throttle is not loaded"), Map.of());
            return;
        }
        LoginThrottle.Verdict verdict = t.check(ip, jid.toString());
        if (!verdict.allowed()) {
            html(ex, 429, Pages.login(verdict.reason()), Map.of());
            return;
        }
        boolean ok = server.isAdmin(jid) && a.verifyPassword(jid, form.getOrDefault("password", ""));
        if (!ok) {
            t.failed(ip, jid.toString());
            LOG.warn("Web admin: failed login from {} as {}", ip, jid);
            html(ex, 401, Pages.login("Not an administrator of this server, or a wrong password"), Map.of());
            return;
        }
        t.succeeded(ip, jid.toString());
        expire();
        Session s = new Session(token(), token(), jid);
        sessions.put(s.id, s);
        LOG.info("Web admin: {} logged in from {}", jid, ip);
        ex.respond(303, Map.of("Location", BASE, "Set-Cookie", COOKIE + "=" + s.id + "; Path=/admin; HttpOnly; Secure; SameSite=Strict"), new byte[0]);
    }

    private String token() {
        byte[] b = new byte[32];
        random.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    private void expire() {
        Instant before = Instant.now().minus(idle);
        sessions.values().removeIf(s -> s.seen.isBefore(before));
    }

    /** The session the request's cookie names, still fresh; null when none. */
    private Session session(HttpExchange ex) {
        String cookies = ex.header("Cookie").orElse("");
        for (String c : cookies.split(";")) {
            String[] kv = c.strip().split("=", 2);
            if (kv.length == 2 && kv[0].equals(COOKIE)) {
                Session s = sessions.get(kv[1]);
                if (s == null) return null;
                if (s.seen.plus(idle).isBefore(Instant.now())) {
                    sessions.remove(s.id);
                    return null;
                }
                s.seen = Instant.now();
                return s;
            }
        }
        return null;
    }

    private void run(HttpExchange ex, Session s, Map<String, String> form) {
        Action a = ACTIONS.get(form.getOrDefault("action", ""));
        if (a == null) {
            text(ex, 400, "No such action: " + form.get("action"), Map.of());
            return;
        }
        java.util.ArrayList<String> args = new java.util.ArrayList<>();
        for (String f : a.fields()) {
            String v = form.getOrDefault(f, "").strip();
            if (v.isEmpty()) {
                s.flash = "Error: " + a.command() + " needs " + f;
                ex.respond(303, Map.of("Location", BASE + a.page()), new byte[0]);
                return;
            }
            if (f.equals("name") && !NAME.matcher(v).matches()) { // a module or feature name, never a path or a URL to install
                s.flash = "Error: '" + v + "' is not a module or feature name";
                ex.respond(303, Map.of("Location", BASE + a.page()), new byte[0]);
                return;
            }
            args.add(f.equals("password") ? form.get(f) : v);
        }
        s.flash = command(s, a.command(), args, true);
        ex.respond(303, Map.of("Location", BASE + a.page()), new byte[0]);
    }

    /**
     * Runs a console command with these arguments (each a value of its own: never parsed, so no
     * argument can add a command) and returns what it printed, or "Error: ..." when it failed.
     */
    String command(Session s, String command, List<String> args, boolean change) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        PrintStream o = new PrintStream(out, true, UTF_8), e = new PrintStream(err, true, UTF_8);
        CommandSession session = processor.createSession(new ByteArrayInputStream(new byte[0]), o, e);
        StringBuilder line = new StringBuilder(command);
        for (int i = 0; i < args.size(); i++) {
            session.put("strata_arg" + i, args.get(i));
            line.append(" $strata_arg").append(i);
        }
        if (change) {
            List<String> shown = new java.util.ArrayList<>(args);
            if (command.equals("user:add") || command.equals("user:passwd")) shown.set(shown.size() - 1, "***");
            LOG.info("Web admin command by {}: {} {}", s.admin, command, String.join(" ", shown));
        }
        try {
            Object result = session.execute(line);
            if (result != null) o.println(session.format(result, Converter.INSPECT));
            String text = out.toString(UTF_8) + err.toString(UTF_8);
            return text.strip();
        } catch (Exception ex) {
            Throwable t = ex;
            while (t.getCause() != null && (t.getMessage() == null || t instanceof java.lang.reflect.InvocationTargetException)) t = t.getCause();
            return "Error: " + (t.getMessage() == null ? t.toString() : t.getMessage());
        } finally {
            session.close();
        }
    }

    private Map<String, String> dashboard() {
        Map<String, String> d = new LinkedHashMap<>();
        var rt = ManagementFactory.getRuntimeMXBean();
        Duration up = Duration.ofMillis(rt.getUptime());
        d.put("Domains", String.join(", ", server.domains()));
        Metrics m = metrics;
        if (m == null) {
            d.put("Sessions and rates", "the metrics module is not loaded");
        } else {
            Map<String, Double> byTransport = new TreeMap<>();
            m.read("strata_sessions").forEach((labels, n) -> byTransport.merge(labels.getOrDefault("transport", "?"), n, Double::sum));
            long total = Math.round(byTransport.values().stream().mapToDouble(Double::doubleValue).sum());
            StringBuilder sessions = new StringBuilder().append(total);
            if (!byTransport.isEmpty()) {
                sessions.append(" (");
                byTransport.forEach((t, n) -> sessions.append(t).append(' ').append(Math.round(n)).append(", "));
                sessions.setLength(sessions.length() - 2);
                sessions.append(')');
            }
            d.put("Client sessions", sessions.toString());
            Map<String, Double> logins = new TreeMap<>();
            m.read("strata_logins").forEach((labels, n) -> logins.merge(labels.getOrDefault("result", "?"), n, Double::sum));
            d.put("Logins since the metrics module started", Math.round(logins.getOrDefault("success", 0.0)) + " succeeded, "
                    + Math.round(logins.getOrDefault("failure", 0.0)) + " failed");
            double seconds = stanzaRates.seconds();
            if (seconds <= 0) {
                d.put("Stanzas per second", "measuring (a figure after 5 s)");
            } else {
                Map<String, Double> rate = new HashMap<>();
                stanzaRates.perSecond().forEach((labels, r) -> rate.merge(labels.get("kind") + " " + labels.get("direction"), r, Double::sum));
                StringBuilder rates = new StringBuilder();
                for (String kind : List.of("message", "presence", "iq")) {
                    rates.append(kind).append(String.format(Locale.ROOT, " in %.1f, out %.1f; ", rate.getOrDefault(kind + " in", 0.0), rate.getOrDefault(kind + " out", 0.0)));
                }
                rates.setLength(rates.length() - 2);
                d.put(String.format(Locale.ROOT, "Stanzas per second from and to clients (last %.0f s)", seconds), rates.toString());
            }
        }
        d.put("Uptime", up.toDaysPart() + " d " + up.toHoursPart() + " h " + up.toMinutesPart() + " min");
        Runtime r = Runtime.getRuntime();
        d.put("Heap", (r.totalMemory() - r.freeMemory()) / (1024 * 1024) + " MiB used of " + r.maxMemory() / (1024 * 1024) + " MiB");
        d.put("Java", rt.getVmName() + " " + rt.getVmVersion());
        d.put("Environment", server.environment());
        d.put("Administrators", server.admins().toString());
        return d;
    }

    // --- plumbing -------------------------------------------------------------------------------------

    /** An application/x-www-form-urlencoded body of at most 64 KiB. */
    static Map<String, String> form(HttpExchange ex) throws IOException {
        byte[] body = ex.body().readNBytes(64 * 1024 + 1);
        if (body.length > 64 * 1024) throw new IOException("a form larger than 64 KiB");
        Map<String, String> m = new HashMap<>();
        for (String pair : new String(body, UTF_8).split("&")) {
            if (pair.isEmpty()) continue;
            String[] kv = pair.split("=", 2);
            try {
                m.putIfAbsent(URLDecoder.decode(kv[0], UTF_8), kv.length == 2 ? URLDecoder.decode(kv[1], UTF_8) : "");
            } catch (IllegalArgumentException e) {
                // a malformed pair is left out
            }
        }
        return m;
    }

    private static void html(HttpExchange ex, int status, String body, Map<String, String> headers) {
        Map<String, String> h = new HashMap<>(headers);
        h.put("Content-Type", "text/html; charset=utf-8");
        // no scripts at all; the page's own styles; forms post only here
        h.put("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
        // with no-referrer (the listeners' default) a browser posts our own forms with Origin: null
        h.put("Referrer-Policy", "same-origin");
        ex.respond(status, h, body.getBytes(UTF_8));
    }

    private static void text(HttpExchange ex, int status, String text, Map<String, String> headers) {
        Map<String, String> h = new HashMap<>(headers);
        h.put("Content-Type", "text/plain; charset=utf-8");
        ex.respond(status, h, (text + "\n").getBytes(UTF_8));
    }
}
