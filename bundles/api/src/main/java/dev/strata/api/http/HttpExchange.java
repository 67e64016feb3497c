package dev.strata.api.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * One HTTP request to an {@link HttpEndpoint} and its answer. The answer gets the server's
 * security headers ({@code X-Content-Type-Options: nosniff}, {@code X-Frame-Options: DENY},
 * {@code Referrer-Policy}, a restrictive {@code Content-Security-Policy}, {@code Cache-Control:
 * no-store}, HSTS on HTTPS when configured); headers the endpoint passes replace them.
 */
@ProviderType
public interface HttpExchange {
    /** The method, upper case ({@code GET}, {@code PUT}...). */
    String method();

    /** The path, percent-decoded once ({@code /upload/abc/photo.jpg}); never contains a query. */
    String path();

    /** The raw path as the client sent it, before decoding, without the query. */
    String rawPath();

    /** The query as the client sent it (not decoded), without the {@code ?}; empty when there is none. */
    String query();

    /** The first value of a request header, by case-insensitive name. */
    Optional<String> header(String name);

    /** Every request header, in the order the client sent them (a name may come more than once). */
    List<Map.Entry<String, String>> headers();

    /** The body's length from {@code Content-Length}, or -1 when the client did not say (chunked, or no body). */
    long contentLength();

    InetSocketAddress remoteAddress();

    /** Whether the request came over TLS (the listener with {@code direct.tls}, 5281 by default). */
    boolean secure();

    /**
     * The request body. The first call tells a client waiting on {@code Expect: 100-continue} to
     * send it. Reading blocks until data arrives; it throws {@link IOException} when the client is
     * gone or sends nothing for the listener's request timeout. A request answered before its body
     * was read to the end closes its connection after the answer.
     */
    InputStream body();

    /** Answers with {@code status}, {@code headers} and {@code body} (UTF-8 text or bytes, possibly empty; nothing for HEAD). */
    void respond(int status, Map<String, String> headers, byte[] body);

    /**
     * Answers with {@code length} bytes of {@code file} from {@code offset} as the body (a
     * {@code GET} of a stored file, or a range of it); the exchange closes {@code file} once sent (or
     * once the client is gone).
     */
    void respond(int status, Map<String, String> headers, FileChannel file, long offset, long length) throws IOException;

    /**
     * Answers with {@code status} and {@code headers} (a name may have several values, as {@code
     * Set-Cookie}), then the body the endpoint writes to the returned stream: {@code length} bytes,
     * or as much as it writes before closing the stream when {@code length} is -1 (sent chunked, or
     * up to the connection's end for an HTTP/1.0 client). Closing the stream ends the answer; writing
     * blocks while the client is slower than the endpoint, and throws {@link IOException} once it is
     * gone or has read nothing for the listener's request timeout. For {@code HEAD}, 204 and 304 what
     * is written is dropped. An endpoint that proxies, or writes an answer as it makes it, uses this.
     */
    OutputStream respondStreaming(int status, Map<String, List<String>> headers, long length);

    /** Whether an answer was given already. */
    boolean answered();
}
