package dev.strata.transport.internal;

import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

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

import dev.strata.api.http.HttpEndpoint;
import dev.strata.api.metrics.Metrics;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;

/**
 * What connections to the {@link Listener}s of kind {@code http} get (5280, and 5281 with TLS from
 * the first byte): admission as for client connections, HTTP/1.1 with bounded request lines,
 * headers and bodies, a deadline per request, security headers on every answer and an access log;
 * then {@link HttpFront} serves XMPP over WebSocket (RFC 7395), over BOSH (XEP-0206) and XEP-0156
 * host-meta. A WebSocket
 * stream gets the client transport's limits ({@link C2sTransport}): the same stanza size, read
 * rate, idle timeout and slow-reader bound as a TCP stream. HTTPS uses the certificates and SNI of
 * {@link TlsManager}, as 5223 does.
 */
@Component(name = "strata.transport.http", service = ListenerKind.class, property = ListenerKind.KIND + "=http")
@Designate(ocd = HttpTransport.Config.class)
public final class HttpTransport implements ListenerKind {
    private static final Logger LOG = LoggerFactory.getLogger(HttpTransport.class);

    @ObjectClassDefinition(id = "strata.transport.http", name = "HTTP connections")
    public @interface Config {
        @AttributeDefinition(min = "1", description = "HTTP connections at most, in total (WebSocket streams included)")
        int max_connections() default 100_000;

        @AttributeDefinition(min = "1", description = "HTTP connections at most from one IP address")
        int max_connections_per_ip() default 100;

        @AttributeDefinition(min = "1", max = "300", description = "Seconds a client has to complete the TLS handshake on an HTTPS listener")
        int tls_handshake_timeout() default 10;

        @AttributeDefinition(min = "1", max = "3600", description = "Seconds an HTTP connection has to send each whole request, and may stay "
                + "open between requests (a slow or idle client is closed after it; a WebSocket stream has the client idle timeout instead)")
        int request_timeout() default 30;

        @AttributeDefinition(min = "1024", description = "Largest request body in bytes (413 above); at least the largest stanza "
                + "(strata.transport.c2s max.stanza.size) and 8 KiB, which a BOSH request may carry")
        int max_request_bytes() default 65_536;

        @AttributeDefinition(description = "Path of XMPP over WebSocket (RFC 7395)")
        String websocket_path() default "/xmpp-websocket";

        @AttributeDefinition(description = "Origins (scheme://host[:port]) whose web pages may open XMPP WebSockets; empty: any. XMPP logs in "
                + "with SASL, never with cookies, so a foreign page gains nothing a script could not do itself; list yours to be strict")
        String[] websocket_origins() default {};

        @AttributeDefinition(min = "0", max = "3600", description = "Seconds of silence on a WebSocket after which the server pings it "
                + "(keeps proxies from closing it and finds dead peers); 0: never")
        int websocket_ping() default 55;

        @AttributeDefinition(description = "Treat plain WebSocket (ws://) from a loopback address as encrypted: a TLS-terminating reverse proxy "
                + "on this machine, or a local client. Off: plain WebSocket is refused while strata.c2s tls.required is on")
        boolean trust_loopback() default true;

        @AttributeDefinition(description = "Path of XMPP over BOSH (XEP-0124, XEP-0206)")
        String bosh_path() default "/http-bind";

        @AttributeDefinition(min = "1", max = "300", description = "Longest a BOSH request is held waiting for data, in seconds (a client asking for more gets this)")
        int bosh_max_wait() default 60;

        @AttributeDefinition(min = "0", max = "2", description = "BOSH requests held at once per session at most (a client asking for more gets this)")
        int bosh_max_hold() default 1;

        @AttributeDefinition(min = "10", max = "600", description = "Seconds a BOSH session lives without a request")
        int bosh_inactivity() default 60;

        @AttributeDefinition(min = "1", max = "60", description = "Shortest interval in seconds between a polling client's requests (advertised)")
        int bosh_polling() default 2;

        @AttributeDefinition(min = "0", max = "3600", description = "Longest pause a BOSH client may ask for, in seconds")
        int bosh_max_pause() default 120;

        @AttributeDefinition(description = "Send every new WebSocket stream to this URI instead (RFC 7395 §3.6.1 see-other-uri); empty: none")
        String websocket_redirect() default "";

        @AttributeDefinition(description = "The public base URL (https://chat.example.org) host-meta lists the endpoints under, as clients "
                + "reach them through a proxy; empty: the request's Host and this listener's scheme")
        String public_url() default "";

        @AttributeDefinition(min = "0", description = "Strict-Transport-Security max-age on HTTPS answers, in seconds; 0: none (it would "
                + "bind every port of the host name, localhost included)")
        long hsts_seconds() default 0;

        @AttributeDefinition(description = "Addresses (a.b.c.d/n, an IPv6 prefix, or one address) that may read /health and /ready; "
                + "anyone else gets 404. Loopback by default: a local load balancer or monitoring agent")
        String[] operations_allow() default {"127.0.0.0/8", "::1/128"};

        @AttributeDefinition(description = "Log each request (address, method, path, status, bytes, user agent) at INFO to dev.strata.http.access")
        boolean access_log() default true;
    }

    private final ChannelGroup channels = new DefaultChannelGroup("http", GlobalEventExecutor.INSTANCE);
    private final Admission admission = new Admission();
    final Config config;
    final TlsManager tls;
    final C2sTransport c2s;
    final List<String> origins;
    /** The BOSH sessions by sid. */
    final java.util.concurrent.ConcurrentHashMap<String, BoshSession> bosh = new java.util.concurrent.ConcurrentHashMap<>();
    private final Admission boshAdmission = new Admission();

    final Health health;
    private final List<byte[][]> operations;

    @Activate
    public HttpTransport(Config config, @Reference TlsManager tls, @Reference C2sTransport c2s, @Reference Health health) {
        this.config = config;
        this.tls = tls;
        this.c2s = c2s;
        this.health = health;
        this.operations = List.of(config.operations_allow()).stream().map(String::strip).filter(a -> !a.isEmpty()).map(HttpTransport::prefix).toList();
        this.origins = List.of(config.websocket_origins()).stream().map(String::strip).filter(o -> !o.isEmpty()).toList();
    }

    @Override
    public void accept(SocketChannel ch, boolean directTls) {
        InetAddress ip = ch.remoteAddress().getAddress();
        String refusal = admission.admit(ip, config.max_connections(), config.max_connections_per_ip());
        if (refusal != null) {
            LOG.warn("Refused an HTTP connection from {}: {}", ch.remoteAddress(), refusal);
            if (directTls) {
                ch.close();
            } else {
                var answer = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SERVICE_UNAVAILABLE, Unpooled.copiedBuffer(refusal + "\n",
                        java.nio.charset.StandardCharsets.UTF_8));
                answer.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8").set(HttpHeaderNames.CONNECTION, "close")
                        .setInt(HttpHeaderNames.CONTENT_LENGTH, answer.content().readableBytes());
                ch.pipeline().addLast(new HttpServerCodec());
                ch.writeAndFlush(answer).addListener(ChannelFutureListener.CLOSE);
            }
            return;
        }
        channels.add(ch);
        ch.closeFuture().addListener(f -> admission.release(ip));
        if (directTls) ch.pipeline().addLast("sni", tls.handler(false, config.tls_handshake_timeout() * 1000L));
        ch.pipeline().addLast("idle", new IdleStateHandler(c2s.silenceCheckSeconds(), 0, 0, TimeUnit.SECONDS));
        ch.pipeline().addLast("flush", new FlushConsolidationHandler(FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true));
        // a request line of 4 KiB, headers of 8 KiB at most (431/400 above), a body of max_request_bytes, or a stanza's size
        // and some for a BOSH <body/> (413 above)
        ch.pipeline().addLast("http", new HttpServerCodec(4096, 8192, 8192));
        ch.pipeline().addLast("endpoints", new EndpointDispatch(this, directTls));
        ch.pipeline().addLast("aggregate", new HttpObjectAggregator(Math.max(config.max_request_bytes(), c2s.maxStanzaSize() + 8192)));
        ch.pipeline().addLast("front", new HttpFront(this, directTls));
    }

    /** The gauge of open connections, while the metrics module is loaded. */
    private volatile AutoCloseable connectionsGauge;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void bindMetrics(Metrics m) {
        closeGauge();
        connectionsGauge = m.gauge("strata_connections", "Open client connections: c2s (TCP, 5222 and 5223), http (HTTP and WebSocket, 5280 and 5281), "
                + "bosh (BOSH sessions)", samples -> {
                    samples.set(c2s.openConnections(), "c2s");
                    samples.set(admission.open(), "http");
                    samples.set(bosh.size(), "bosh");
                }, "kind");
    }

    void unbindMetrics(Metrics m) {
        closeGauge();
    }

    private void closeGauge() {
        AutoCloseable g = connectionsGauge;
        connectionsGauge = null;
        if (g == null) return;
        try {
            g.close();
        } catch (Exception e) {
            LOG.debug("Closing the connections gauge: {}", e.toString());
        }
    }

    /** An endpoint of another module: its path (a prefix ending in '/', or exact), whether only operators reach it. */
    record Endpoint(String path, boolean operations, HttpEndpoint endpoint) {
        boolean serves(String p) {
            return path.endsWith("/") ? p.startsWith(path) : p.equals(path);
        }
    }

    /** The endpoints of other modules, longest path first. */
    private volatile List<Endpoint> endpoints = List.of();

    @Reference(service = HttpEndpoint.class, cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    synchronized void addEndpoint(HttpEndpoint endpoint, Map<String, Object> props) {
        Object p = props.get(HttpEndpoint.PATH);
        String path = p == null ? "" : p.toString();
        String name = endpoint.getClass().getName();
        if (!path.startsWith("/") || path.startsWith("//")) {
            LOG.error("An HTTP endpoint ({}) is left out: its {} '{}' is not a path like /name/ or /name, or /", name, HttpEndpoint.PATH, path);
            return;
        }
        for (String own : path.equals("/") ? List.<String>of() : ownPaths()) { // '/' takes only what nothing else serves
            if (path.endsWith("/") ? (own + "/").startsWith(path) : own.equals(path)) {
                LOG.error("An HTTP endpoint ({}) is left out: its path {} would take the server's own {}", name, path, own);
                return;
            }
        }
        var next = new java.util.ArrayList<>(endpoints);
        next.removeIf(e -> e.endpoint() == endpoint);
        if (next.stream().anyMatch(e -> e.path().equals(path))) {
            LOG.error("An HTTP endpoint ({}) is left out: another serves {} already", name, path);
            return;
        }
        next.add(new Endpoint(path, Boolean.TRUE.equals(props.get(HttpEndpoint.OPERATIONS)) || "true".equals(props.get(HttpEndpoint.OPERATIONS)), endpoint));
        next.sort((a, b) -> b.path().length() - a.path().length());
        endpoints = List.copyOf(next);
        LOG.info("HTTP endpoint {} ({})", path, name);
    }

    synchronized void removeEndpoint(HttpEndpoint endpoint) {
        var next = new java.util.ArrayList<>(endpoints);
        if (next.removeIf(e -> e.endpoint() == endpoint)) endpoints = List.copyOf(next);
    }

    /** The endpoint serving {@code path} for a client at {@code ip}, or null (an operations endpoint is there only for operators). */
    Endpoint endpoint(String path, InetAddress ip) {
        for (Endpoint e : endpoints) {
            if (!e.serves(path)) continue;
            if (e.path().equals("/") && ownPaths().contains(path)) return null; // the catch-all never takes the server's own paths
            return e.operations() && !operationsAllowed(ip) ? null : e;
        }
        return null;
    }

    /** The paths the transport serves itself, which no endpoint may take. */
    private List<String> ownPaths() {
        return List.of(config.websocket_path(), config.bosh_path(), HttpFront.HOST_META, HttpFront.HOST_META_JSON, "/health", "/ready");
    }

    /** An address and prefix length as {address bytes, {length}}. */
    private static byte[][] prefix(String cidr) {
        int slash = cidr.indexOf('/');
        try {
            byte[] address = InetAddress.ofLiteral(slash < 0 ? cidr : cidr.substring(0, slash)).getAddress();
            int bits = slash < 0 ? address.length * 8 : Integer.parseInt(cidr.substring(slash + 1));
            if (bits < 0 || bits > address.length * 8) throw new IllegalArgumentException("prefix length " + bits);
            return new byte[][] {address, {(byte) bits}};
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("operations.allow: '" + cidr + "' is not an address or a.b.c.d/n prefix: " + e.getMessage(), e);
        }
    }

    /** Whether {@code ip} may read /health and /ready. */
    boolean operationsAllowed(InetAddress ip) {
        byte[] a = ip.getAddress();
        for (byte[][] p : operations) {
            byte[] net = p[0];
            int bits = p[1][0] & 0xff;
            if (net.length != a.length) continue;
            boolean match = true;
            for (int i = 0; i < bits && match; i++) {
                int mask = 0x80 >>> (i % 8);
                match = (net[i / 8] & mask) == (a[i / 8] & mask);
            }
            if (match) return true;
        }
        return false;
    }

    int openConnections() {
        return admission.open();
    }

    /**
     * A new BOSH session for a client at {@code remote}, attached to the stream layer, or null (logged)
     * when the session limits are reached: the HTTP connection limits count sessions as connections.
     */
    BoshSession newBosh(io.netty.util.concurrent.EventExecutor timers, java.net.InetSocketAddress remote, boolean https, String tlsProtocol,
                        String serverName, int wait, int hold) {
        InetAddress ip = remote.getAddress();
        String refusal = boshAdmission.admit(ip, config.max_connections(), config.max_connections_per_ip());
        if (refusal != null) {
            LOG.warn("Refused a BOSH session from {}: {}", remote, refusal);
            return null;
        }
        BoshSession s = new BoshSession(config, bosh, () -> boshAdmission.release(ip), timers, remote, https, tlsProtocol, serverName,
                !https && ip.isLoopbackAddress() && config.trust_loopback(), Math.min(wait, config.bosh_max_wait()), Math.min(hold, config.bosh_max_hold()),
                c2s.maxOutboundBytes());
        bosh.put(s.sid, s);
        s.attach(c2s.attach(s));
        return s;
    }

    @Deactivate
    void deactivate() {
        closeGauge();
        for (BoshSession s : bosh.values()) s.shutdown("the HTTP transport stopped (server shutdown, or module:unload/reload transport)");
        for (var ch : channels) {
            if (ch.pipeline().get("xmpp") instanceof NettyConnection c) c.closedBecause("the HTTP transport stopped (server shutdown, or module:unload/reload transport)");
        }
        channels.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        LOG.info("HTTP connections closed");
    }
}
