package dev.strata.itests;

import static dev.strata.itests.StrataServer.awaitValue;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The OSGi Jakarta Servlet Whiteboard on the assembled runtime: the example plugin's servlet
 * ({@code plugins/servlet-example}, a standard {@code jakarta.servlet} servlet with the whiteboard's
 * pattern property and no Strata dependency), dropped into {@code plugins/}, is served on the
 * server's HTTP listeners, over TLS with the server's certificate and over plain HTTP, with the
 * listeners' security headers; bodies stream both ways; the servlet sees the client's address and
 * scheme, not ones the client makes up; the whiteboard's own Jetty answers nobody but the listeners;
 * the servlet survives a reload of the bridge and goes with its jar.
 */
class ServletWhiteboardIT {
    private static final Path HELLO = Path.of(System.getProperty("strata.hello.jar", "../plugins/servlet-example/target/hello-servlet-1.0.0.jar")).toAbsolutePath();
    private static final Duration DEPLOY = Duration.ofSeconds(20);
    private static StrataServer server;
    private static HttpClient http;

    @BeforeAll
    static void start() throws Exception {
        Path home = StrataServer.freshHome("servlet-it");
        server = StrataServer.start(home, home.resolve("data"), Map.of());
        http = server.httpClient();
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) server.close();
    }

    private static URI https(String path) {
        return URI.create("https://localhost:" + server.httpsPort + path);
    }

    private static URI plain(String path) {
        return URI.create("http://127.0.0.1:" + server.httpPort + path);
    }

    private static HttpResponse<String> get(URI uri) {
        try {
            return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(20)).build(), BodyHandlers.ofString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aPluginsServletIsServedOnTheListenersAndGoesWithItsJar() throws Exception {
        HttpResponse<String> before = get(https("/hello/"));
        assertThat(before.statusCode()).as("no servlet yet: %s", before.body()).isEqualTo(404);
        assertThat(before.body()).isEqualTo("Not found\n");

        Files.copy(HELLO, server.home.resolve("plugins/.hello.part"));
        Files.move(server.home.resolve("plugins/.hello.part"), server.home.resolve("plugins/hello-servlet-1.0.0.jar"));
        HttpResponse<String> hello = awaitValue(DEPLOY, "the servlet at /hello/", () -> get(https("/hello/")), r -> r.statusCode() == 200);
        assertThat(hello.body()).isEqualTo("Hello 127.0.0.1, over https to localhost.\n");
        assertThat(hello.headers().firstValue("Content-Type")).hasValue("text/plain;charset=utf-8");
        assertThat(hello.headers().firstValue("X-Content-Type-Options")).as("the listeners' security headers").hasValue("nosniff");
        assertThat(hello.headers().firstValue("Content-Security-Policy")).isPresent();
        assertThat(hello.headers().map().keySet()).noneMatch(h -> h.equalsIgnoreCase("Server"));

        HttpResponse<String> overPlain = http.send(HttpRequest.newBuilder(plain("/hello/")).header("X-Forwarded-For", "10.9.8.7")
                .header("X-Forwarded-Proto", "https").header("X-Strata-Bridge", "a guess").build(), BodyHandlers.ofString());
        assertThat(overPlain.body()).as("what the client says about itself is not believed").isEqualTo("Hello 127.0.0.1, over http to 127.0.0.1.\n");

        // a 5 MiB upload streamed to the servlet, with a length and chunked
        byte[] data = new byte[5 * 1024 * 1024];
        new Random(11).nextBytes(data);
        String expected = data.length + " " + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data)) + "\n";
        HttpResponse<String> digest = http.send(HttpRequest.newBuilder(https("/hello/digest")).POST(BodyPublishers.ofByteArray(data)).build(), BodyHandlers.ofString());
        assertThat(digest.statusCode()).isEqualTo(200);
        assertThat(digest.body()).isEqualTo(expected);
        HttpResponse<String> chunked = http.send(HttpRequest.newBuilder(plain("/hello/digest"))
                .POST(BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(data))).build(), BodyHandlers.ofString());
        assertThat(chunked.body()).isEqualTo(expected);

        // a large answer the servlet writes as it makes it comes through, over TLS, whole
        HttpResponse<String> count = get(https("/hello/count?to=400000"));
        assertThat(count.statusCode()).isEqualTo(200);
        String[] lines = count.body().split("\n");
        assertThat(lines).hasSize(400000);
        assertThat(lines[399999]).isEqualTo("400000");
        HttpResponse<String> head = http.send(HttpRequest.newBuilder(https("/hello/count?to=3")).method("HEAD", BodyPublishers.noBody()).build(),
                BodyHandlers.ofString());
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        HttpResponse<String> bad = get(https("/hello/count?to=many"));
        assertThat(bad.statusCode()).as("the servlet's own errors pass through").isEqualTo(400);

        // the whiteboard's Jetty, on a loopback port of its own, answers only the listeners
        Matcher m = Pattern.compile("to Jetty at http://127\\.0\\.0\\.1:(\\d+)/").matcher(server.log());
        assertThat(m.find()).as("the bridge logs where Jetty listens").isTrue();
        URI direct = URI.create("http://127.0.0.1:" + m.group(1) + "/hello/");
        assertThat(http.send(HttpRequest.newBuilder(direct).build(), BodyHandlers.ofString()).statusCode()).isEqualTo(403);
        assertThat(http.send(HttpRequest.newBuilder(direct).header("X-Strata-Bridge", "a guess").build(), BodyHandlers.ofString()).statusCode()).isEqualTo(403);

        // the bridge reloads live; the servlet is served again once it is back
        assertThat(server.ssh("module:reload servlets").exit()).isZero();
        awaitValue(DEPLOY, "the servlet after the bridge's reload", () -> get(https("/hello/")), r -> r.statusCode() == 200);

        Files.delete(server.home.resolve("plugins/hello-servlet-1.0.0.jar"));
        // while the whiteboard takes the servlet down, Jetty may answer a request the runtime still
        // routed to it with its own 404 page; once it is gone the listeners answer as for any unknown path
        HttpResponse<String> gone = awaitValue(DEPLOY, "the servlet gone with its jar", () -> get(https("/hello/")),
                r -> r.statusCode() == 404 && r.body().equals("Not found\n"));
        assertThat(gone.statusCode()).isEqualTo(404);
    }
}
