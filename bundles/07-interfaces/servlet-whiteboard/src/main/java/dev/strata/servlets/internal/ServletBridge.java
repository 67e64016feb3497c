package dev.strata.servlets.internal;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.servlet.runtime.HttpServiceRuntime;
import org.osgi.service.servlet.runtime.HttpServiceRuntimeConstants;
import org.osgi.service.servlet.runtime.dto.RequestInfoDTO;
import org.osgi.service.servlet.whiteboard.Preprocessor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.http.HttpEndpoint;
import dev.strata.api.http.HttpExchange;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;

/**
 * Serves the servlets, filters and resources that bundles register with the OSGi Jakarta Servlet
 * Whiteboard (R8.1, {@code osgi.http.whiteboard.*} properties) on the server's own HTTP listeners,
 * 5280 and 5281 with TLS: every request no module endpoint and none of the transport's own paths
 * serve (the {@code /} endpoint) is passed on, streamed both ways, to the whiteboard's Jetty (Apache
 * Felix HTTP), which listens on loopback only, on a port the system picks. The listeners' TLS
 * (certificates, SNI), admission limits, timeouts, access log and security headers apply as to any
 * endpoint; a servlet's own headers replace the security defaults.
 *
 * <p>Jetty believes the forwarding headers ({@code X-Forwarded-For}, {@code -Proto}, {@code
 * -Host}) this bridge sets, so a servlet sees the client's address, scheme and host; any a client
 * sent are dropped first. A preprocessor in the whiteboard refuses (403) every request that does
 * not carry this bridge's secret, so another local process cannot reach the servlets around the
 * listeners' limits or make up its address.
 */
@Component(service = {HttpEndpoint.class, Preprocessor.class}, property = HttpEndpoint.PATH + "=/")
public final class ServletBridge implements HttpEndpoint, Preprocessor {
    private static final Logger LOG = LoggerFactory.getLogger(ServletBridge.class);
    /** The header carrying the bridge's secret to the whiteboard. */
    static final String SECRET = "X-Strata-Bridge";
    /** Request headers not passed on: hop-by-hop (RFC 9110 §7.6.1), the ones the HTTP client sets itself, and forwarding ones a client must not make up. */
    private static final java.util.Set<String> NOT_FORWARDED = java.util.Set.of("connection", "keep-alive", "proxy-connection", "proxy-authenticate",
            "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "host", "content-length", "expect", "forwarded", "x-forwarded-for",
            "x-forwarded-proto", "x-forwarded-host", "x-forwarded-port", "x-forwarded-server", "x-real-ip", "x-proxied-https", "x-strata-bridge");
    /** Response headers not passed back: hop-by-hop, and the length, which the transport sets. */
    private static final java.util.Set<String> NOT_RETURNED = java.util.Set.of("connection", "keep-alive", "proxy-connection", "te", "trailer",
            "transfer-encoding", "upgrade", "content-length");

    final String secret;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final HttpClient client;
    /** The whiteboard's runtime, asked which servlet would serve a path; null while it is not there. */
    private volatile HttpServiceRuntime runtime;
    /** Where the whiteboard's Jetty listens ({@code http://127.0.0.1:port/}); null while it is not there. */
    private volatile URI jetty;

    @Activate
    public ServletBridge() {
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        secret = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(5)).executor(executor).build();
    }

    @Deactivate
    void deactivate() {
        client.shutdownNow();
        executor.shutdownNow();
    }

    @Reference(policy = ReferencePolicy.DYNAMIC, updated = "updatedRuntime")
    void bindRuntime(HttpServiceRuntime runtime, Map<String, Object> props) {
        this.runtime = runtime;
        updatedRuntime(props);
    }

    void updatedRuntime(Map<String, Object> props) {
        URI found = loopbackEndpoint(props.get(HttpServiceRuntimeConstants.HTTP_SERVICE_ENDPOINT));
        if (found == null) LOG.error("The servlet whiteboard's Jetty has no loopback HTTP endpoint ({}): servlets are not served. "
                + "Set org.apache.felix.http.host=127.0.0.1 and org.osgi.service.http.port=0", props.get(HttpServiceRuntimeConstants.HTTP_SERVICE_ENDPOINT));
        else if (!found.equals(jetty)) LOG.info("Servlet whiteboard: the HTTP listeners pass what no module serves to Jetty at {}", found);
        jetty = found;
    }

    void unbindRuntime(HttpServiceRuntime runtime) {
        if (this.runtime == runtime) {
            this.runtime = null;
            jetty = null;
        }
    }

    /** The first {@code http://} endpoint on a loopback address among the runtime's {@code osgi.http.endpoint} values, or null. */
    static URI loopbackEndpoint(Object endpoints) {
        List<String> all = switch (endpoints) {
            case String one -> List.of(one);
            case String[] many -> List.of(many);
            case java.util.Collection<?> many -> many.stream().map(String::valueOf).toList();
            case null, default -> List.of();
        };
        for (String e : all) {
            try {
                URI u = URI.create(e.endsWith("/") ? e : e + "/");
                if ("http".equals(u.getScheme()) && u.getPort() > 0 && java.net.InetAddress.getByName(u.getHost()).isLoopbackAddress()) {
                    return URI.create("http://" + u.getRawAuthority() + "/");
                }
            } catch (IllegalArgumentException | java.net.UnknownHostException ex) {
                // not one to use
            }
        }
        return null;
    }

    // --- the listeners' side: pass the request on, stream the answer back ----------------------

    @Override
    public void handle(HttpExchange exchange) throws Exception {
        URI base = jetty;
        HttpServiceRuntime whiteboard = runtime;
        if (base == null || whiteboard == null) {
            exchange.respond(503, Map.of("Content-Type", "text/plain; charset=utf-8", "Retry-After", "5"), "The servlet whiteboard is starting\n".getBytes(UTF_8));
            return;
        }
        RequestInfoDTO served = whiteboard.calculateRequestInfoDTO(exchange.path());
        if (served == null || served.servletDTO == null && served.resourceDTO == null) { // nothing there: answered here, as the listeners answer any unknown path
            exchange.respond(404, Map.of("Content-Type", "text/plain; charset=utf-8"), "Not found\n".getBytes(UTF_8));
            return;
        }
        URI target;
        try {
            target = base.resolve(exchange.rawPath().substring(1) + (exchange.query().isEmpty() ? "" : "?" + exchange.query()));
        } catch (IllegalArgumentException e) {
            exchange.respond(400, Map.of("Content-Type", "text/plain; charset=utf-8"), "Bad request: the path or query is not a valid URI\n".getBytes(UTF_8));
            return;
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(target).method(exchange.method(), body(exchange));
        for (Map.Entry<String, String> h : forwarded(exchange.headers())) {
            try {
                request.header(h.getKey(), h.getValue());
            } catch (IllegalArgumentException e) { // a name or value the JDK's client refuses to send
                LOG.debug("Header {} not passed to the servlet whiteboard: {}", h.getKey(), e.getMessage());
            }
        }
        String host = exchange.header("Host").orElse("");
        request.header("X-Forwarded-For", exchange.remoteAddress().getAddress().getHostAddress())
                .header("X-Forwarded-Proto", exchange.secure() ? "https" : "http")
                .header(SECRET, secret);
        if (!host.isEmpty()) request.header("X-Forwarded-Host", host);
        HttpResponse<InputStream> response;
        try {
            response = client.send(request.build(), BodyHandlers.ofInputStream());
        } catch (ConnectException e) {
            exchange.respond(502, Map.of("Content-Type", "text/plain; charset=utf-8"), "The servlet whiteboard is not answering\n".getBytes(UTF_8));
            return;
        }
        long length = response.headers().firstValueAsLong("Content-Length").orElse(-1);
        try (InputStream in = response.body(); OutputStream out = exchange.respondStreaming(response.statusCode(), returned(response.headers().map()), length)) {
            byte[] buffer = new byte[16 * 1024];
            for (int n; (n = in.read(buffer)) >= 0;) {
                out.write(buffer, 0, n);
                if (in.available() == 0) out.flush(); // what the servlet has sent so far goes out now (long polls, server-sent events)
            }
        }
    }

    /** The request body as the client sends it, read only as fast as Jetty takes it. */
    private static BodyPublisher body(HttpExchange exchange) {
        long length = exchange.contentLength();
        boolean chunked = exchange.header("Transfer-Encoding").map(t -> t.toLowerCase(java.util.Locale.ROOT).contains("chunked")).orElse(false);
        if (chunked) return BodyPublishers.ofInputStream(exchange::body);
        if (length > 0) return BodyPublishers.fromPublisher(BodyPublishers.ofInputStream(exchange::body), length);
        return BodyPublishers.noBody();
    }

    /** The client's request headers that go on to the whiteboard: not hop-by-hop ones, nor those named in {@code Connection}, nor forwarding ones. */
    static List<Map.Entry<String, String>> forwarded(List<Map.Entry<String, String>> headers) {
        java.util.Set<String> named = new java.util.HashSet<>();
        for (Map.Entry<String, String> h : headers) {
            if (h.getKey().equalsIgnoreCase("Connection")) {
                for (String n : h.getValue().split(",")) named.add(n.strip().toLowerCase(java.util.Locale.ROOT));
            }
        }
        return headers.stream().filter(h -> {
            String n = h.getKey().toLowerCase(java.util.Locale.ROOT);
            return !NOT_FORWARDED.contains(n) && !named.contains(n);
        }).toList();
    }

    /** The whiteboard's answer headers that go back to the client. */
    static Map<String, List<String>> returned(Map<String, List<String>> headers) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        headers.forEach((name, values) -> {
            if (!name.startsWith(":") && !NOT_RETURNED.contains(name.toLowerCase(java.util.Locale.ROOT))) out.put(name, values);
        });
        return out;
    }

    // --- the whiteboard's side: only this bridge gets in -----------------------------------------

    @Override
    public void init(jakarta.servlet.FilterConfig config) {
        // nothing to set up
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain) throws IOException, ServletException {
        String given = ((HttpServletRequest) request).getHeader(SECRET);
        if (!fromBridge(given)) {
            ((HttpServletResponse) response).sendError(403, "Servlets are served on the server's HTTP listeners, not here");
            return;
        }
        chain.doFilter(new HttpServletRequestWrapper((HttpServletRequest) request) { // the secret stays between the bridge and the whiteboard
            @Override
            public String getHeader(String name) {
                return SECRET.equalsIgnoreCase(name) ? null : super.getHeader(name);
            }

            @Override
            public java.util.Enumeration<String> getHeaders(String name) {
                return SECRET.equalsIgnoreCase(name) ? java.util.Collections.emptyEnumeration() : super.getHeaders(name);
            }

            @Override
            public java.util.Enumeration<String> getHeaderNames() {
                return java.util.Collections.enumeration(java.util.Collections.list(super.getHeaderNames()).stream().filter(n -> !SECRET.equalsIgnoreCase(n)).toList());
            }
        }, response);
    }

    /** Whether {@code given} is this bridge's secret (compared in constant time). */
    boolean fromBridge(String given) {
        return given != null && MessageDigest.isEqual(given.getBytes(UTF_8), secret.getBytes(UTF_8));
    }

    @Override
    public void destroy() {
        // nothing to release
    }
}
