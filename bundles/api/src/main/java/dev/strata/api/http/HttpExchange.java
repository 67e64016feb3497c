package dev.strata.api.http;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
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

    /** The first value of a request header, by case-insensitive name. */
    Optional<String> header(String name);

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

    /** Whether an answer was given already. */
    boolean answered();
}
