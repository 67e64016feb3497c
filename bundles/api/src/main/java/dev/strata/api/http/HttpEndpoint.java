package dev.strata.api.http;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Serves the HTTP requests under a path of the server's HTTP listeners (5280, and 5281 with TLS),
 * registered as a whiteboard service with the property {@value #PATH}: a prefix such as
 * {@code /upload/} (a request whose path starts with it comes here; the longest matching prefix
 * wins), or one exact path without the trailing slash ({@code /metrics}). The prefix {@code /} alone
 * takes every request no other endpoint and none of the transport's own paths serve (the servlet
 * whiteboard does, so that OSGi servlets are served on the same ports). With {@value #OPERATIONS}
 * true, only the operators' addresses ({@code strata.transport.http operations.allow}) reach it;
 * others get 404, as for {@code /health}. The transport's own paths (the XMPP WebSocket and BOSH paths, XEP-0156 host-meta,
 * {@code /health} and {@code /ready}) cannot be taken. An endpoint appears and disappears with its
 * service: a request in flight when it goes away is answered 503.
 *
 * <p>Threading: {@link #handle} runs on a virtual thread of its own per request, so it may block
 * (storage, files); it reads the body as a stream whose reading pauses the connection when the
 * endpoint falls behind, and answers once with one of the {@link HttpExchange#respond} methods.
 * The request line, headers and the time a client has to send them are bounded by the listener
 * ({@code strata.transport.http}); the body is the endpoint's to bound (it knows its limit), but a
 * client that sends nothing for {@code request.timeout} seconds is cut off.
 */
@ConsumerType
public interface HttpEndpoint {
    /** Service property: the path prefix served, starting and ending with {@code /}, or an exact path ({@code /metrics}); {@code /} for every path nothing else serves. */
    String PATH = "strata.http.path";

    /** Service property: true for an endpoint only operators' addresses may reach (metrics, admin). */
    String OPERATIONS = "strata.http.operations";

    /** One request under {@link #PATH}. An exception answers 500 (logged) if nothing was answered yet. */
    void handle(HttpExchange exchange) throws Exception;
}
