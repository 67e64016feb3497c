package dev.strata.transport.internal;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.xml.Element;
import dev.strata.api.xml.XmlEvent;
import dev.strata.api.xml.XmlException;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketHandshakeException;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.handler.ssl.SniCompletionEvent;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.concurrent.ScheduledFuture;

/**
 * One HTTP connection until it becomes something else: answers requests one at a time, and on an
 * RFC 7395 upgrade hands the connection to a {@link WebSocketConnection}. Serves the WebSocket path,
 * the BOSH path (its requests go to their {@link BoshSession}) and XEP-0156 host-meta ({@code /.well-known/host-meta} and {@code host-meta.json}); anything else
 * is 404. Every answer carries the security headers, and the access log gets a line for it.
 */
final class HttpFront extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(HttpFront.class);
    static final String HOST_META = "/.well-known/host-meta", HOST_META_JSON = "/.well-known/host-meta.json";
    static final String WEBSOCKET_REL = "urn:xmpp:alt-connections:websocket", BOSH_REL = "urn:xmpp:alt-connections:xbosh";
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?|\\[[0-9A-Fa-f:.]{2,45}](:[0-9]{1,5})?");

    private final HttpTransport transport;
    private final boolean https;
    private String serverName;
    private byte[] tlsExporter;
    private SslHandler ssl;
    private ScheduledFuture<?> deadline;

    HttpFront(HttpTransport transport, boolean https) {
        this.transport = transport;
        this.https = https;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        arm(ctx);
        super.channelActive(ctx);
    }

    /** The next request must be complete within request_timeout, or the connection closes. */
    void arm(ChannelHandlerContext ctx) {
        disarm();
        deadline = ctx.executor().schedule(() -> {
            LOG.debug("HTTP connection from {} closed: no complete request within {} s", ctx.channel().remoteAddress(), transport.config.request_timeout());
            ctx.close();
        }, transport.config.request_timeout(), TimeUnit.SECONDS);
    }

    void disarm() {
        if (deadline != null) deadline.cancel(false);
        deadline = null;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        switch (evt) {
            case SniCompletionEvent sni -> serverName = sni.hostname();
            case SslHandshakeCompletionEvent done when done.isSuccess() -> {
                ssl = ctx.pipeline().get(SslHandler.class);
                if (ssl != null) tlsExporter = transport.tls.exporters().take(ssl.engine()).orElse(null);
            }
            case SslHandshakeCompletionEvent failed -> {
                LOG.debug("TLS handshake with {} failed: {}", ctx.channel().remoteAddress(), failed.cause().getMessage());
                ctx.close();
            }
            case IdleStateEvent idle -> {
                // between requests the deadline decides
            }
            default -> super.userEventTriggered(ctx, evt);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        disarm();
        if (heldBy != null) heldBy.abandoned(heldReply);
        SslHandler s = ctx.pipeline().get(SslHandler.class);
        if (s != null && ssl == null) transport.tls.exporters().discard(s.engine());
        super.channelInactive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpRequest req)) {
            io.netty.util.ReferenceCountUtil.release(msg);
            return;
        }
        try {
            handle(ctx, req);
        } finally {
            req.release();
        }
    }

    private void handle(ChannelHandlerContext ctx, FullHttpRequest req) {
        arm(ctx);
        Asked asked = Asked.of(req);
        if (req.decoderResult().isFailure()) {
            Throwable cause = req.decoderResult().cause();
            HttpResponseStatus status = cause instanceof TooLongHttpLineException ? HttpResponseStatus.REQUEST_URI_TOO_LONG
                    : cause instanceof TooLongHttpHeaderException ? HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
                    : cause instanceof TooLongFrameException ? HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE : HttpResponseStatus.BAD_REQUEST;
            respond(ctx, asked, status, "Bad request: " + cause.getMessage(), true, Map.of());
            return;
        }
        String path = new QueryStringDecoder(req.uri()).path();
        if (path.equals(transport.config.websocket_path())) {
            webSocket(ctx, req, asked);
        } else if (path.equals(transport.config.bosh_path())) {
            bosh(ctx, req, asked);
        } else if ((path.equals("/health") || path.equals("/ready"))
                && transport.operationsAllowed(((InetSocketAddress) ctx.channel().remoteAddress()).getAddress())) {
            operations(ctx, asked, path.equals("/ready"));
        } else if (path.equals(HOST_META) || path.equals(HOST_META_JSON)) {
            hostMeta(ctx, req, asked, path.equals(HOST_META_JSON));
        } else {
            respond(ctx, asked, HttpResponseStatus.NOT_FOUND, "Not found", false, Map.of());
        }
    }

    // --- RFC 7395 ----------------------------------------------------------------------------

    private void webSocket(ChannelHandlerContext ctx, FullHttpRequest req, Asked asked) {
        if (!req.method().equals(HttpMethod.GET) || !"websocket".equalsIgnoreCase(req.headers().get(HttpHeaderNames.UPGRADE))) {
            respond(ctx, asked, HttpResponseStatus.UPGRADE_REQUIRED, "This is an XMPP over WebSocket endpoint (RFC 7395): open a WebSocket "
                    + "with the 'xmpp' subprotocol here", false, Map.of(HttpHeaderNames.UPGRADE.toString(), "websocket"));
            return;
        }
        String origin = req.headers().get(HttpHeaderNames.ORIGIN);
        if (!transport.origins.isEmpty() && (origin == null || !transport.origins.contains(origin))) {
            respond(ctx, asked, HttpResponseStatus.FORBIDDEN, "WebSockets from origin " + origin + " are not allowed here (strata.transport.http "
                    + "websocket.origins)", true, Map.of());
            return;
        }
        String offered = req.headers().get(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL, "");
        boolean xmpp = Arrays.stream(offered.split(",")).map(String::strip).anyMatch("xmpp"::equals);
        int max = transport.c2s.maxStanzaSize() + 4096; // the XML reader's limit is the one clients meet, with its stream error
        WebSocketDecoderConfig decoder = WebSocketDecoderConfig.newBuilder().maxFramePayloadLength(max).allowMaskMismatch(false)
                .closeOnProtocolViolation(true).build();
        WebSocketServerHandshaker handshaker = new WebSocketServerHandshakerFactory(url(ctx, req, https ? "wss" : "ws") + transport.config.websocket_path(),
                "xmpp", decoder).newHandshaker(req);
        if (handshaker == null) {
            WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel()).addListener(ChannelFutureListener.CLOSE);
            log(ctx, asked, 426, 0);
            return;
        }
        ChannelFuture upgraded;
        try {
            upgraded = handshaker.handshake(ctx.channel(), req);
        } catch (WebSocketHandshakeException e) {
            respond(ctx, asked, HttpResponseStatus.BAD_REQUEST, "Bad WebSocket handshake: " + e.getMessage(), true, Map.of());
            return;
        }
        disarm();
        log(ctx, asked, 101, 0);
        upgraded.addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        ctx.pipeline().addLast("wsagg", new WebSocketFrameAggregator(max));
        if (ctx.pipeline().get("endpoints") != null) ctx.pipeline().remove("endpoints");
        if (!xmpp) { // RFC 7395 §3.1: without the subprotocol this is no XMPP stream
            ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.PROTOCOL_ERROR.code(),
                    "The 'xmpp' WebSocket subprotocol is required (RFC 7395 §3.1); offered: " + (offered.isEmpty() ? "none" : offered)))
                    .addListener(ChannelFutureListener.CLOSE);
            ctx.pipeline().remove(this);
            return;
        }
        boolean loopback = ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress().isLoopbackAddress();
        WebSocketConnection conn = transport.c2s.webSocket(https, serverName, tlsExporter, !https && loopback && transport.config.trust_loopback(),
                transport.config.websocket_ping(), transport.config.websocket_redirect());
        tlsExporter = null;
        ctx.pipeline().remove(this);
        ctx.pipeline().addLast("xmpp", conn);
    }

    // --- XEP-0124, XEP-0206 ------------------------------------------------------------------

    /** The BOSH session holding this connection's request, and the request's reply (the connection may close under it). */
    private BoshSession heldBy;
    private BoshSession.Reply heldReply;

    private void bosh(ChannelHandlerContext ctx, FullHttpRequest req, Asked asked) {
        String origin = asked.origin();
        if (origin != null && !transport.origins.isEmpty() && !transport.origins.contains(origin)) {
            respond(ctx, asked, HttpResponseStatus.FORBIDDEN, "BOSH from origin " + origin + " is not allowed here (strata.transport.http websocket.origins)",
                    true, Map.of());
            return;
        }
        // browsers send text/xml, which is not a CORS-safelisted type: a preflight first
        Map<String, String> cors = Map.of("Access-Control-Allow-Origin", origin == null ? "*" : origin, "Vary", "Origin",
                "Access-Control-Allow-Methods", "POST, OPTIONS", "Access-Control-Allow-Headers", "Content-Type", "Access-Control-Max-Age", "86400");
        if (req.method().equals(HttpMethod.OPTIONS)) {
            respond(ctx, asked, HttpResponseStatus.NO_CONTENT, null, null, false, cors);
            return;
        }
        if (req.method().equals(HttpMethod.GET) || req.method().equals(HttpMethod.HEAD)) {
            respond(ctx, asked, HttpResponseStatus.OK, "This is an XMPP over BOSH endpoint (XEP-0124, XEP-0206): POST <body/> requests here", false, cors);
            return;
        }
        if (!req.method().equals(HttpMethod.POST)) {
            respond(ctx, asked, HttpResponseStatus.METHOD_NOT_ALLOWED, "Only POST, GET and OPTIONS here", false, Map.of("Allow", "POST, GET, OPTIONS"));
            return;
        }
        BoshSession.Reply reply = xml -> ctx.executor().execute(() -> {
            heldBy = null;
            heldReply = null;
            respond(ctx, asked, HttpResponseStatus.OK, "text/xml; charset=utf-8", xml, false, cors);
            arm(ctx);
        });
        Element body;
        List<Element> children = new ArrayList<>();
        try {
            body = parseBody(req, children);
        } catch (XmlException e) {
            reply.send(BoshSession.terminate("bad-request", ""));
            LOG.debug("Bad BOSH request from {}: {}", ctx.channel().remoteAddress(), e.getMessage());
            return;
        }
        long rid;
        try {
            rid = Long.parseLong(body.attribute("rid"));
            if (rid < 0 || rid > (1L << 53)) throw new NumberFormatException("out of range");
        } catch (RuntimeException e) {
            reply.send(BoshSession.terminate("bad-request", ""));
            return;
        }
        String sid = body.attribute("sid");
        BoshSession session;
        disarm(); // a held request waits for its answer, not for the request deadline
        if (sid == null) {
            if (body.attribute("to") == null) {
                reply.send(BoshSession.terminate("improper-addressing", ""));
                return;
            }
            SslHandler tls = ctx.pipeline().get(SslHandler.class);
            session = transport.newBosh(ctx.executor(), (InetSocketAddress) ctx.channel().remoteAddress(), https,
                    tls == null ? null : tls.engine().getSession().getProtocol(), serverName, BoshSession.parse(body.attribute("wait"), 60),
                    BoshSession.parse(body.attribute("hold"), 1));
            if (session == null) {
                reply.send(BoshSession.terminate("policy-violation", ""));
                return;
            }
            heldBy = session;
            heldReply = reply;
            session.create(rid, body, reply);
        } else {
            session = transport.bosh.get(sid);
            if (session == null) {
                reply.send(BoshSession.terminate("item-not-found", ""));
                return;
            }
            heldBy = session;
            heldReply = reply;
            session.request(rid, body, children, reply);
        }
    }

    /** The request's {@code <body/>} (its attributes) and its children, read with the client stream's limits. */
    private Element parseBody(FullHttpRequest req, List<Element> children) throws XmlException {
        XmlStreamReader reader = new XmlStreamReader(transport.c2s.limits());
        Element[] root = new Element[1];
        boolean[] closed = new boolean[1];
        reader.feed(req.content().nioBuffer(), e -> {
            switch (e) {
                case XmlEvent.StreamOpen open -> root[0] = open.header();
                case XmlEvent.TopLevel(Element el) -> children.add(client(el));
                case XmlEvent.StreamClose close -> closed[0] = true;
            }
        });
        if (root[0] == null || !closed[0]) throw new XmlException(XmlException.Condition.NOT_WELL_FORMED, "not a whole <body/>");
        if (!root[0].is("body", BoshSession.NS)) throw new XmlException(XmlException.Condition.NOT_WELL_FORMED, "not <body xmlns='" + BoshSession.NS + "'>");
        return root[0];
    }

    /**
     * XEP-0206 §2: many clients leave the namespace of their stanzas to the {@code <body/>}'s; a
     * connection manager reads them as jabber:client. An element in the BOSH namespace (and its
     * children in it) is moved to jabber:client.
     */
    static Element client(Element e) {
        if (!e.namespace().equals(BoshSession.NS)) return e;
        Element.Builder b = Element.builder(e.name(), "jabber:client");
        for (var a : e.attributes()) b.attribute(a.namespace(), a.name(), a.value());
        for (var n : e.children()) b.child(n instanceof Element c ? client(c) : n);
        return b.build();
    }

    // --- operations ---------------------------------------------------------------------------

    /**
     * {@code /health}: the server answers (liveness). {@code /ready}: {@link Health}'s checks, 200 when
     * all pass, 503 naming the failed ones. JSON either way; the checks run off the event loop.
     */
    private void operations(ChannelHandlerContext ctx, Asked asked, boolean ready) {
        if (!ready) {
            respond(ctx, asked, HttpResponseStatus.OK, "application/json", "{\"status\":\"up\"}\n", false, Map.of());
            return;
        }
        disarm();
        Thread.ofVirtual().name("strata-ready").start(() -> {
            Map<String, String> checks = transport.health.checks();
            boolean ok = checks.values().stream().allMatch("ok"::equals);
            StringBuilder json = new StringBuilder("{\"status\":\"").append(ok ? "ready" : "not ready").append("\",\"checks\":{");
            checks.forEach((k, v) -> json.append('"').append(k).append("\":\"").append(v.replace("\\", "\\\\").replace("\"", "\\\"")).append("\","));
            json.setLength(json.length() - 1);
            json.append("}}\n");
            ctx.executor().execute(() -> {
                respond(ctx, asked, ok ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE, "application/json", json.toString(), false, Map.of());
                arm(ctx);
            });
        });
    }

    // --- XEP-0156 ----------------------------------------------------------------------------

    private void hostMeta(ChannelHandlerContext ctx, FullHttpRequest req, Asked asked, boolean json) {
        Map<String, String> cors = Map.of("Access-Control-Allow-Origin", "*", "Access-Control-Allow-Methods", "GET, HEAD, OPTIONS",
                "Access-Control-Allow-Headers", "Content-Type", "Access-Control-Max-Age", "86400");
        if (req.method().equals(HttpMethod.OPTIONS)) {
            respond(ctx, asked, HttpResponseStatus.NO_CONTENT, null, null, false, cors);
            return;
        }
        if (!req.method().equals(HttpMethod.GET) && !req.method().equals(HttpMethod.HEAD)) {
            respond(ctx, asked, HttpResponseStatus.METHOD_NOT_ALLOWED, "Only GET, HEAD and OPTIONS here", false, Map.of("Allow", "GET, HEAD, OPTIONS"));
            return;
        }
        String base = transport.config.public_url().isBlank() ? url(ctx, req, https ? "https" : "http") : transport.config.public_url().strip().replaceAll("/+$", "");
        String ws = base.replaceFirst("^http", "ws") + transport.config.websocket_path();
        String bosh = base + transport.config.bosh_path();
        String body = json ? "{\"links\":[" + jrd(WEBSOCKET_REL, ws) + "," + jrd(BOSH_REL, bosh) + "]}"
                : "<?xml version='1.0' encoding='utf-8'?>\n<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>\n" + xrd(WEBSOCKET_REL, ws) + xrd(BOSH_REL, bosh)
                + "</XRD>\n";
        respond(ctx, asked, HttpResponseStatus.OK, json ? "application/json" : "application/xrd+xml; charset=utf-8", body, false, cors);
    }

    private static String jrd(String rel, String href) {
        return "{\"rel\":\"" + rel + "\",\"href\":\"" + href.replace("\\", "\\\\").replace("\"", "\\\"") + "\"}";
    }

    private static String xrd(String rel, String href) {
        return "  <Link rel='" + rel + "' href='" + href.replace("&", "&amp;").replace("'", "&apos;").replace("<", "&lt;") + "'/>\n";
    }

    /** scheme://host[:port] as the client reached us: its Host header when well formed, else our own address. */
    private static String url(ChannelHandlerContext ctx, FullHttpRequest req, String scheme) {
        String host = req.headers().get(HttpHeaderNames.HOST);
        if (host == null || !HOST.matcher(host).matches()) {
            InetSocketAddress local = (InetSocketAddress) ctx.channel().localAddress();
            String a = local.getAddress().getHostAddress();
            host = (a.contains(":") ? "[" + a + "]" : a) + ":" + local.getPort();
        }
        return scheme + "://" + host;
    }

    // --- answers -----------------------------------------------------------------------------

    /** What an answer needs of its request, kept after the request is released (a BOSH request is answered later). */
    record Asked(HttpVersion version, HttpMethod method, boolean keepAlive, String uri, String agent, String origin) {
        static Asked of(FullHttpRequest req) {
            return new Asked(req.protocolVersion(), req.method(), HttpUtil.isKeepAlive(req), req.uri(), req.headers().get(HttpHeaderNames.USER_AGENT, "-"),
                    req.headers().get(HttpHeaderNames.ORIGIN));
        }
    }

    private void respond(ChannelHandlerContext ctx, Asked req, HttpResponseStatus status, String text, boolean close, Map<String, String> headers) {
        respond(ctx, req, status, "text/plain; charset=utf-8", text == null ? null : text + "\n", close, headers);
    }

    private void respond(ChannelHandlerContext ctx, Asked req, HttpResponseStatus status, String type, String body, boolean close,
                         Map<String, String> headers) {
        byte[] bytes = body == null ? new byte[0] : body.getBytes(UTF_8);
        boolean head = req.method().equals(HttpMethod.HEAD);
        FullHttpResponse res = new DefaultFullHttpResponse(req.version(), status, head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(bytes));
        var h = res.headers();
        if (body != null) h.set(HttpHeaderNames.CONTENT_TYPE, type);
        h.setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        HttpAnswers.secure(h, https, transport.config);
        headers.forEach(h::set);
        boolean keepAlive = !close && req.keepAlive();
        HttpUtil.setKeepAlive(res, keepAlive);
        ChannelFuture f = ctx.writeAndFlush(res);
        if (!keepAlive) f.addListener(ChannelFutureListener.CLOSE);
        log(ctx, req, status.code(), bytes.length);
    }

    private void log(ChannelHandlerContext ctx, Asked req, int status, int bytes) {
        HttpAnswers.log(ctx, transport.config, req.method(), req.uri(), req.version(), status, bytes, req.agent());
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("HTTP connection from {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }
}
