package dev.strata.transport.internal;

import java.net.InetSocketAddress;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;

/** What every answer on the HTTP listeners has: the security headers, and a line in the access log. */
final class HttpAnswers {
    private static final Logger ACCESS = LoggerFactory.getLogger("dev.strata.http.access");

    private HttpAnswers() {
    }

    /** A browser must never run, sniff or frame what we answer, nor cache it (an endpoint may say otherwise). */
    static void secure(HttpHeaders h, boolean https, HttpTransport.Config config) {
        h.set("X-Content-Type-Options", "nosniff").set("X-Frame-Options", "DENY").set("Referrer-Policy", "no-referrer")
                .set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'").set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        if (https && config.hsts_seconds() > 0) h.set("Strict-Transport-Security", "max-age=" + config.hsts_seconds());
    }

    static void log(ChannelHandlerContext ctx, HttpTransport.Config config, Object method, String uri, Object version, int status, long bytes, String agent) {
        if (!config.access_log() || !ACCESS.isInfoEnabled()) return;
        ACCESS.info("{} \"{} {} {}\" {} {} \"{}\"", ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress().getHostAddress(), method,
                printable(uri), version, status, bytes, printable(agent));
    }

    /** What a client sent, safe for one log line. */
    static String printable(String s) {
        String t = s.length() > 200 ? s.substring(0, 200) + "…" : s;
        return t.replaceAll("[\\p{Cntrl}\"]", "?");
    }
}
