package dev.strata.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.httpfileupload.HttpFileUploadManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import dev.strata.api.auth.ScramHash;
import dev.strata.bench.RawXmppClient;
import dev.strata.itests.StrataServer.Result;

/**
 * XEP-0363 HTTP File Upload on the assembled runtime: Smack's and slixmpp's upload managers find
 * the service, get slots and PUT files that anyone with the URL then GETs (whole, by range, over
 * HTTP and HTTPS); every bad request gets its stanza error or HTTP status and stores nothing; an
 * uploaded page cannot run as the server's origin; an account's files go with it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class UploadIT {
    private static final int MAX = 1024 * 1024, QUOTA = 3 * 1024 * 1024;
    private static StrataServer server;
    private static HttpClient http;

    @BeforeAll
    static void start() throws Exception {
        Path home = StrataServer.freshHome("upload-it", "alice", "bob", "carol", "dave", "erin");
        // the URL the slots get: plain HTTP on the loopback listener, so that every client's own HTTP stack takes it without our certificate
        Files.writeString(home.resolve("config/stack/05-services/strata.xep0363.cfg"), "url = http://{domain}:${env:STRATA_HTTP_PORT}/upload/\n"
                + "max.file.size = " + MAX + "\nquota = " + QUOTA + "\n", StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
        server = StrataServer.start(home, home.resolve("data"), Map.of());
        http = server.httpClient();
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) server.close();
    }

    @Test
    @Order(1)
    void smackUploadsAFileThatAnyoneThenDownloads() throws Exception {
        byte[] data = new byte[MAX]; // far larger than an HTTP request the server gathers in memory: the upload is streamed to disk
        new Random(7).nextBytes(data);
        Path file = StrataServer.WORK.resolve("upload-it-photo.jpg");
        Files.write(file, data);
        XMPPTCPConnection alice = Clients.smack(server, "alice", "alice-Pw-1", "smack");
        URL url;
        try {
            HttpFileUploadManager upload = HttpFileUploadManager.getInstanceFor(alice);
            assertThat(upload.discoverUploadService()).as("the server's disco#items lists upload.localhost").isTrue();
            assertThat(upload.getDefaultUploadService().getAddress().toString()).isEqualTo("upload.localhost");
            assertThat(upload.getDefaultUploadService().getMaxFileSize()).isEqualTo(MAX);
            url = upload.uploadFile(new File(file.toString()));
        } finally {
            alice.disconnect();
        }
        assertThat(url.toString()).matches("http://localhost:" + server.httpPort + "/upload/[A-Za-z0-9_-]{22}/upload-it-photo\\.jpg");
        HttpResponse<byte[]> got = get(url.toString(), Map.of());
        assertThat(got.statusCode()).isEqualTo(200);
        assertThat(got.body()).isEqualTo(data);
        // Smack asks for its slots as application/octet-stream, which a browser downloads, never shows
        assertThat(got.headers().firstValue("Content-Type")).hasValue("application/octet-stream");
        assertThat(got.headers().firstValue("Content-Disposition")).hasValue("attachment; filename=\"upload-it-photo.jpg\"; filename*=UTF-8''upload-it-photo.jpg");
        assertThat(got.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        assertThat(got.headers().firstValue("Access-Control-Allow-Origin")).hasValue("*");
        assertThat(got.headers().firstValue("Accept-Ranges")).hasValue("bytes");
        // a range, and the same over HTTPS (the file goes through TLS in chunks)
        String https = url.toString().replace("http://localhost:" + server.httpPort, "https://localhost:" + server.httpsPort);
        HttpResponse<byte[]> part = get(https, Map.of("Range", "bytes=1000-1999"));
        assertThat(part.statusCode()).isEqualTo(206);
        assertThat(part.headers().firstValue("Content-Range")).hasValue("bytes 1000-1999/" + MAX);
        assertThat(part.body()).isEqualTo(java.util.Arrays.copyOfRange(data, 1000, 2000));
        assertThat(get(https, Map.of()).body()).isEqualTo(data);
        assertThat(get(url.toString(), Map.of("Range", "bytes=" + MAX + "-")).statusCode()).isEqualTo(416);
        // the file is the slot's id on disk, forced there before the 201
        assertThat(server.data.resolve("upload").resolve(url.getPath().split("/")[2])).hasBinaryContent(data);
        assertThat(server.log()).contains("\"PUT " + url.getPath() + " HTTP/1.1\" 201", "\"GET " + url.getPath() + " HTTP/1.1\" 206 1000");
    }

    @Test
    @Order(2)
    void slixmppUploadsWithItsDefaults() throws Exception {
        Result r = StrataServer.run(List.of("/usr/bin/python3", Path.of("src/test/python/slix_upload.py").toAbsolutePath().toString(),
                Integer.toString(server.c2sPort), "-Pw-1", "bob", "alice", "100000"), Map.of(), Duration.ofSeconds(60));
        assertThat(r.out()).as("%s", r).contains("LOGGED-IN", "MAX " + MAX, "DONE");
        Matcher m = Pattern.compile("URL (\\S+)").matcher(r.out());
        assertThat(m.find()).isTrue();
        HttpResponse<byte[]> got = get(m.group(1), Map.of());
        assertThat(got.statusCode()).isEqualTo(200);
        assertThat(new String(got.body(), StandardCharsets.US_ASCII)).hasSize(100_000).startsWith("slixmpp!slixmpp!");
        assertThat(got.headers().firstValue("Content-Disposition")).hasValue("attachment; filename=\"slix notes.txt\"; filename*=UTF-8''slix%20notes.txt");
    }

    @Test
    @Order(3)
    void badSlotRequestsGetTheirErrors() throws Exception {
        try (RawXmppClient.Login l = RawXmppClient.login(server.c2sPort, false, "carol", "carol-Pw-1", ScramHash.SHA_256, null)) {
            assertThat(l.success()).isTrue();
            assertThat(Clients.exchange(l, "<iq type='get' id='d' to='localhost'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>"))
                    .contains("jid=\"upload.localhost\"");
            String info = Clients.exchange(l, "<iq type='get' id='i' to='upload.localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
            assertThat(info).contains("category=\"store\"", "type=\"file\"", "var=\"urn:xmpp:http:upload:0\"", "<value>" + MAX + "</value>");
            assertThat(request(l, "big.bin", MAX + 1, null)).contains("type=\"modify\"", "<not-acceptable", "<file-too-large xmlns=\"urn:xmpp:http:upload:0\">"
                    + "<max-file-size>" + MAX + "</max-file-size></file-too-large>");
            for (String bad : List.of("../../etc/passwd", "a/b", "..")) {
                assertThat(request(l, bad, 10, null)).as(bad).contains("<bad-request", "plain name");
            }
            assertThat(request(l, "x", 0, null)).contains("<bad-request", "at least one byte");
            assertThat(request(l, "x", 10, "not a type")).contains("<bad-request", "is not a media type");
            // the quota counts open slots: three slots of 1 MiB fit in 3 MiB, a fourth byte does not
            for (int i = 0; i < 3; i++) assertThat(request(l, "f" + i, MAX, null)).contains("<slot xmlns=\"urn:xmpp:http:upload:0\">");
            assertThat(request(l, "one-more", 1, null)).contains("type=\"wait\"", "<resource-constraint", "over its quota of " + QUOTA);
            assertThat(Clients.exchange(l, "<iq type='set' id='s' to='upload.localhost'><request xmlns='urn:xmpp:http:upload:0' filename='x' size='1'/></iq>"))
                    .contains("<service-unavailable");
        }
    }

    @Test
    @Order(4)
    void badUploadsAreRefusedAndStoreNothing() throws Exception {
        String url = slot("bob", "page.html", 31, "text/html");
        String page = "<script>alert('owned')</script>"; // 31 bytes
        assertThat(put(url, "x".repeat(32), "text/html").statusCode()).as("longer than the slot").isEqualTo(413);
        assertThat(put(url, "x".repeat(30), "text/html").statusCode()).as("shorter than the slot").isEqualTo(400);
        assertThat(put(url, page, "application/javascript").statusCode()).as("another type").isEqualTo(415);
        assertThat(put(url.replaceAll("/[^/]+/page.html", "/AAAAAAAAAAAAAAAAAAAAAA/page.html"), page, "text/html").statusCode()).as("no such slot")
                .isEqualTo(404);
        assertThat(put(url.replace("page.html", "other.html"), page, "text/html").statusCode()).as("another name").isEqualTo(404);
        // a client that sends its body at once, without waiting for a go-ahead, still reads the refusal: the server reads and drops
        // the rest of the body for a while before it closes, instead of resetting the connection under it
        byte[] large = new byte[8 * 1024 * 1024];
        for (String base : List.of(url, url.replace("http://localhost:" + server.httpPort, "https://localhost:" + server.httpsPort))) {
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> refused = http.send(HttpRequest.newBuilder(URI.create(base)).header("Content-Type", "text/html")
                        .PUT(HttpRequest.BodyPublishers.ofByteArray(large)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(refused.statusCode()).as("8 MiB sent at once to %s", base).isEqualTo(413);
                assertThat(refused.body()).contains("The slot is for 31 bytes");
            }
        }
        String slot = URI.create(url).getPath().split("/")[2];
        assertThat(Files.list(server.data.resolve("upload")).map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(slot));
        // and with Expect: 100-continue, as curl and many HTTP stacks send a body
        HttpResponse<String> ok = http.send(HttpRequest.newBuilder(URI.create(url)).expectContinue(true).header("Content-Type", "text/html")
                .PUT(HttpRequest.BodyPublishers.ofString(page)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(ok.statusCode()).isEqualTo(201);
        assertThat(put(url, page, "text/html").statusCode()).as("a slot is used once").isEqualTo(409);
        // served so that it cannot run as the server's origin
        HttpResponse<byte[]> got = get(url, Map.of());
        assertThat(new String(got.body(), StandardCharsets.UTF_8)).isEqualTo(page);
        assertThat(got.headers().firstValue("Content-Disposition").orElseThrow()).startsWith("attachment;");
        assertThat(got.headers().firstValue("Content-Security-Policy").orElseThrow()).contains("sandbox", "default-src 'none'");
        assertThat(got.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        // two requests pipelined: the first is answered, the second is not taken and the connection closes (the client retries it)
        try (java.net.Socket raw = new java.net.Socket("127.0.0.1", server.httpPort)) {
            raw.setSoTimeout(10_000);
            String get = "GET " + URI.create(url).getRawPath() + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
            raw.getOutputStream().write((get + get).getBytes(StandardCharsets.US_ASCII));
            String answers = new String(raw.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(answers.split("HTTP/1.1 200", -1).length - 1).as(answers).isEqualTo(1);
            assertThat(answers).endsWith(page);
        }
        // path traversal never reaches outside the upload folder
        String base = "http://localhost:" + server.httpPort + "/upload/";
        for (String evil : List.of("../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "%2e%2e/%2e%2e/etc/passwd", slot + "/..%2F..%2Fdb%2Fstrata.mv.db", slot,
                slot + "/", "../data/upload/" + slot)) {
            HttpResponse<byte[]> r = get(base + evil, Map.of());
            assertThat(r.statusCode()).as(evil).isIn(400, 404);
        }
        // a browser's CORS preflight for the PUT
        HttpResponse<String> pre = http.send(HttpRequest.newBuilder(URI.create(url)).method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", "https://web.example").header("Access-Control-Request-Method", "PUT").header("Access-Control-Request-Headers", "content-type")
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(pre.statusCode()).isEqualTo(204);
        assertThat(pre.headers().firstValue("Access-Control-Allow-Origin")).hasValue("*");
        assertThat(pre.headers().firstValue("Access-Control-Allow-Methods").orElseThrow()).contains("PUT");
        assertThat(pre.headers().firstValue("Access-Control-Allow-Headers").orElseThrow()).containsIgnoringCase("content-type");
        assertThat(http.send(HttpRequest.newBuilder(URI.create(url)).DELETE().build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(405);
    }

    @Test
    @Order(5)
    void anAccountsFilesGoWithIt() throws Exception {
        String url = slot("dave", "mine.txt", 5, "text/plain");
        assertThat(put(url, "hello", "text/plain").statusCode()).isEqualTo(201);
        assertThat(get(url, Map.of()).statusCode()).isEqualTo(200);
        assertThat(server.ssh("user:delete dave@localhost").out()).contains("deleted");
        assertThat(get(url, Map.of()).statusCode()).isEqualTo(404);
        assertThat(server.data.resolve("upload").resolve(URI.create(url).getPath().split("/")[2])).doesNotExist();
    }

    private static String request(RawXmppClient.Login l, String name, long size, String type) throws Exception {
        return Clients.exchange(l, "<iq type='get' id='r' to='upload.localhost'><request xmlns='urn:xmpp:http:upload:0' filename='"
                + name.replace("&", "&amp;").replace("'", "&apos;").replace("<", "&lt;") + "' size='" + size + "'" + (type == null ? "" : " content-type='" + type + "'")
                + "/></iq>");
    }

    @Test
    @Order(7)
    void slotRequestsAtOnceFromManyDevicesStayWithinTheQuota() throws Exception {
        int devices = 8;
        java.util.concurrent.CyclicBarrier together = new java.util.concurrent.CyclicBarrier(devices);
        java.util.concurrent.atomic.AtomicInteger granted = new java.util.concurrent.atomic.AtomicInteger(), refused = new java.util.concurrent.atomic.AtomicInteger();
        List<Thread> threads = new java.util.ArrayList<>();
        for (int i = 0; i < devices; i++) {
            threads.add(Thread.ofPlatform().start(() -> {
                try (RawXmppClient.Login l = RawXmppClient.login(server.c2sPort, false, "erin", "erin-Pw-1", ScramHash.SHA_256, null)) {
                    together.await();
                    String answer = request(l, "big.bin", MAX, null);
                    (answer.contains("<slot ") ? granted : answer.contains("<resource-constraint") ? refused : new java.util.concurrent.atomic.AtomicInteger())
                            .incrementAndGet();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        for (Thread t : threads) t.join(30_000);
        assertThat(granted.get()).as("1 MiB slots asked at once by %d devices of one account with a 3 MiB quota", devices).isEqualTo(3);
        assertThat(refused.get()).isEqualTo(devices - 3);
    }

    @Test
    @Order(6)
    void aWebPageOnAnotherOriginUploadsAndReadsBackInChromium() throws Exception {
        Path js = Path.of("src/test/js").toAbsolutePath();
        assertThat(js.resolve("node_modules/playwright-core")).as("npm ci --prefix itests/e2e/src/test/js (.ci/run does it)").exists();
        String note = "a note from a web page";
        String slot;
        try (RawXmppClient.Login l = RawXmppClient.login(server.c2sPort, false, "alice", "alice-Pw-1", ScramHash.SHA_256, null)) {
            slot = request(l, "note.txt", note.length(), "text/plain");
        }
        Matcher get = Pattern.compile("<get url=\"([^\"]+)\"").matcher(slot);
        assertThat(get.find()).as(slot).isTrue();
        // the page is on http://127.0.0.1:port, the slot on http://localhost:port: another origin, so the browser applies CORS
        String page = "http://127.0.0.1:" + server.httpPort + "/"; // any page of that origin: the server's own 404
        Result r = StrataServer.run(List.of("node", js.resolve("cors_upload.mjs").toString(), page, putUrl(slot), get.group(1).replace("&amp;", "&"),
                "text/plain", note), Map.of(), Duration.ofSeconds(90));
        assertThat(r.out()).as("%s", r).contains("PUT 201", "GET 200 " + note, "DONE").doesNotContain("FAILED");
    }

    /** The PUT URL of a slot {@code user} asks for. */
    private static String slot(String user, String name, long size, String type) throws Exception {
        try (RawXmppClient.Login l = RawXmppClient.login(server.c2sPort, false, user, user + "-Pw-1", ScramHash.SHA_256, null)) {
            return putUrl(request(l, name, size, type));
        }
    }

    private static String putUrl(String slot) {
        Matcher m = Pattern.compile("<put url=\"([^\"]+)\"").matcher(slot);
        assertThat(m.find()).as(slot).isTrue();
        return m.group(1).replace("&amp;", "&");
    }

    /** A PUT that waits for the server's go-ahead (Expect: 100-continue, as curl sends it): a refusal comes before the body is sent. */
    private static HttpResponse<String> put(String url, String body, String type) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).expectContinue(true).header("Content-Type", type)
                .PUT(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<byte[]> get(String url, Map<String, String> headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20));
        headers.forEach(b::header);
        return http.send(b.GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    }
}
