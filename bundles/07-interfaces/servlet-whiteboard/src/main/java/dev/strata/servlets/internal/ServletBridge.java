package dev.strata.servlets.internal;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

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
 * <p>The request goes on with the client's {@code Host}, and Jetty believes the forwarding headers
 * ({@code X-Forwarded-For}, {@code X-Forwarded-Proto}) this bridge sets, so a servlet sees the
 * client's address, scheme and host; forwarding headers a client sent are dropped first. The
 * connections to Jetty are the bridge's own ({@link LoopbackHttp}), kept alive. A preprocessor in the whiteboard refuses (403) every request that does
 * not carry this bridge's secret, so another local process cannot reach the servlets around the
 * listeners' limits or make up its address.
 */
@Component(service = {HttpEndpoint.class, Preprocessor.class}, property = HttpEndpoint.PATH + "=/")
public final class ServletBridge implements HttpEndpoint, Preprocessor {
    private static final Logger LOG = LoggerFactory.getLogger(ServletBridge.class);
    /** The header carrying the bridge's secret to the whiteboard. */
    static final String SECRET = "X-Strata-Bridge";
    /** Request headers not passed on: hop-by-hop (RFC 9110 §7.6.1), the ones the bridge sets itself (host, framing), and forwarding ones a client must not make up. */
    private static final java.util.Set<String> NOT_FORWARDED = java.util.Set.of("connection", "keep-alive", "proxy-connection", "proxy-authenticate",
            "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "host", "content-length", "expect", "forwarded", "x-forwarded-for",
            "x-forwarded-proto", "x-forwarded-host", "x-forwarded-port", "x-forwarded-server", "x-real-ip", "x-proxied-https", "x-strata-bridge");
    /** Response headers not passed back: hop-by-hop, and the length, which the transport sets. */
    private static final java.util.Set<String> NOT_RETURNED = java.util.Set.of("connection", "keep-alive", "proxy-connection", "te", "trailer",
            "transfer-encoding", "upgrade", "content-length");

    final String secret;
    /** The whiteboard's runtime, asked which servlet would serve a path; null while it is not there. */
    private volatile HttpServiceRuntime runtime;
    /** The connections to the whiteboard's Jetty; null while it is not there. */
    private volatile LoopbackHttp jetty;

    @Activate
    public ServletBridge() {
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        secret = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    }

    @Deactivate
    void deactivate() {
        LoopbackHttp was = jetty;
        jetty = null;
        if (was != null) was.close();
    }

    @Reference(policy = ReferencePolicy.DYNAMIC, updated = "updatedRuntime")
    void bindRuntime(HttpServiceRuntime runtime, Map<String, Object> props) {
        this.runtime = runtime;
        updatedRuntime(props);
    }

    synchronized void updatedRuntime(Map<String, Object> props) {
        URI found = loopbackEndpoint(props.get(HttpServiceRuntimeConstants.HTTP_SERVICE_ENDPOINT));
        LoopbackHttp was = jetty;
        InetSocketAddress address = found == null ? null : new InetSocketAddress(found.getHost(), found.getPort());
        if (was != null && was.address().equals(address)) return;
        if (found == null) LOG.error("The servlet whiteboard's Jetty has no loopback HTTP endpoint ({}): servlets are not served. "
                + "Set org.apache.felix.http.host=127.0.0.1 and org.osgi.service.http.port=0", props.get(HttpServiceRuntimeConstants.HTTP_SERVICE_ENDPOINT));
        else LOG.info("Servlet whiteboard: the HTTP listeners pass what no module serves to Jetty at {}", found);
        jetty = address == null ? null : new LoopbackHttp(address);
        if (was != null) was.close();
    }

    synchronized void unbindRuntime(HttpServiceRuntime runtime) {
        if (this.runtime == runtime) {
            this.runtime = null;
            LoopbackHttp was = jetty;
            jetty = null;
            if (was != null) was.close();
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
        LoopbackHttp to = jetty;
        HttpServiceRuntime whiteboard = runtime;
        if (to == null || whiteboard == null) {
            exchange.respond(503, Map.of("Content-Type", "text/plain; charset=utf-8", "Retry-After", "5"), "The servlet whiteboard is starting\n".getBytes(UTF_8));
            return;
        }
        RequestInfoDTO served = whiteboard.calculateRequestInfoDTO(exchange.path());
        if (served == null || served.servletDTO == null && served.resourceDTO == null) { // nothing there: answered here, as the listeners answer any unknown path
            exchange.respond(404, Map.of("Content-Type", "text/plain; charset=utf-8"), "Not found\n".getBytes(UTF_8));
            return;
        }
        String method = exchange.method();
        String target = exchange.rawPath() + (exchange.query().isEmpty() ? "" : "?" + exchange.query());
        boolean chunked = exchange.header("Transfer-Encoding").map(t -> t.toLowerCase(Locale.ROOT).contains("chunked")).orElse(false);
        long length = chunked ? -1 : Math.max(exchange.contentLength(), 0);
        boolean hasBody = chunked || length > 0;
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        InetSocketAddress jettyAddress = to.address();
        headers.add(Map.entry("Host", exchange.header("Host").filter(h -> !h.isBlank())
                .orElse(jettyAddress.getAddress().getHostAddress() + ":" + jettyAddress.getPort())));
        headers.addAll(forwarded(exchange.headers()));
        headers.add(Map.entry("X-Forwarded-For", exchange.remoteAddress().getAddress().getHostAddress()));
        headers.add(Map.entry("X-Forwarded-Proto", exchange.secure() ? "https" : "http"));
        headers.add(Map.entry(SECRET, secret));
        byte[] head;
        try {
            if (!LoopbackHttp.token(method) || target.indexOf(' ') >= 0 || !LoopbackHttp.fieldValue(target)) throw new IllegalArgumentException("the request line cannot be passed on");
            head = LoopbackHttp.head(method, target, headers, chunked ? "Transfer-Encoding: chunked" : length > 0 || BODY_METHODS.contains(method) ? "Content-Length: " + length : null);
        } catch (IllegalArgumentException e) {
            exchange.respond(400, Map.of("Content-Type", "text/plain; charset=utf-8"), ("Bad request: " + e.getMessage() + "\n").getBytes(UTF_8));
            return;
        }

        AtomicReference<IOException> clientFailed = new AtomicReference<>();
        LoopbackHttp.Connection c = null;
        LoopbackHttp.Head answer = null;
        Thread writer = null;
        for (int attempt = 0; answer == null; attempt++) {
            c = to.open(attempt > 0);
            try {
                c.out.write(head);
                if (hasBody) {
                    writer = Thread.ofVirtual().name("strata-servlet-body").start(send(exchange, c, chunked, length, clientFailed));
                } else {
                    c.out.flush();
                }
                answer = LoopbackHttp.readHead(c.in);
            } catch (IOException e) {
                c.close();
                if (writer != null) writer.join();
                if (clientFailed.get() != null) throw clientFailed.get(); // the client went away or stopped sending
                if (!hasBody && c.reused && attempt == 0) continue; // a kept-alive connection Jetty had closed: once more on a new one
                LOG.warn("The servlet whiteboard failed on {} {}: {}", method, target, e.toString());
                exchange.respond(502, Map.of("Content-Type", "text/plain; charset=utf-8"), "The servlet whiteboard gave no answer\n".getBytes(UTF_8));
                return;
            }
        }

        boolean reusable = false;
        try {
            boolean head0 = method.equals("HEAD");
            boolean[] untilClose = new boolean[1];
            InputStream body = LoopbackHttp.body(c.in, answer, head0, untilClose);
            long announced = answer.length();
            try (OutputStream out = exchange.respondStreaming(answer.status(), returned(answer.headers()), announced)) {
                byte[] buffer = new byte[16 * 1024];
                for (int n; (n = body.read(buffer)) >= 0;) {
                    out.write(buffer, 0, n);
                    if (body.available() == 0) out.flush(); // what the servlet has sent so far goes out now (long polls, server-sent events)
                }
            }
            if (writer != null) writer.join(Duration.ofMillis(50)); // the body is sent by now, unless the servlet answered without reading it
            reusable = !untilClose[0] && !answer.has("Connection", "close") && (writer == null || !writer.isAlive() && clientFailed.get() == null);
        } finally {
            if (writer != null && writer.isAlive()) writer.interrupt();
            to.release(c, reusable);
        }
    }

    /** Methods whose request says {@code Content-Length: 0} when it has no body (RFC 9110 §8.6). */
    private static final java.util.Set<String> BODY_METHODS = java.util.Set.of("POST", "PUT", "PATCH");

    /** Sends the client's body to Jetty as it arrives; on a failure the connection closes, so the answer's reading fails too. */
    private static Runnable send(HttpExchange exchange, LoopbackHttp.Connection c, boolean chunked, long length, AtomicReference<IOException> clientFailed) {
        return () -> {
            InputStream body = new java.io.FilterInputStream(exchange.body()) { // a failure reading is the client's
                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    try {
                        return super.read(b, off, len);
                    } catch (IOException e) {
                        clientFailed.set(e);
                        throw e;
                    }
                }
            };
            try {
                if (chunked) LoopbackHttp.writeChunked(body, c.out);
                else LoopbackHttp.writeExactly(body, c.out, length);
            } catch (IOException e) {
                if (clientFailed.get() == null && e instanceof java.io.EOFException eof) clientFailed.set(eof);
                c.close();
            }
        };
    }

    /** The client's request headers that go on to the whiteboard: not hop-by-hop ones, nor those named in {@code Connection}, nor forwarding ones. */
    static List<Map.Entry<String, String>> forwarded(List<Map.Entry<String, String>> headers) {
        java.util.Set<String> named = new java.util.HashSet<>();
        for (Map.Entry<String, String> h : headers) {
            if (h.getKey().equalsIgnoreCase("Connection")) {
                for (String n : h.getValue().split(",")) named.add(n.strip().toLowerCase(Locale.ROOT));
            }
        }
        return headers.stream().filter(h -> {
            String n = h.getKey().toLowerCase(Locale.ROOT);
            return !NOT_FORWARDED.contains(n) && !named.contains(n);
        }).toList();
    }

    /** The whiteboard's answer headers that go back to the client. */
    static Map<String, List<String>> returned(Map<String, List<String>> headers) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        headers.forEach((name, values) -> {
            if (!name.startsWith(":") && !NOT_RETURNED.contains(name.toLowerCase(Locale.ROOT))) out.put(name, values);
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
