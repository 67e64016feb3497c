package dev.strata.servlets.internal;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class LoopbackHttpTest {
    private static InputStream bytes(String s) {
        return new ByteArrayInputStream(s.getBytes(ISO_8859_1));
    }

    @Test
    void writesTheRequestHeadWithItsFraming() {
        byte[] head = LoopbackHttp.head("POST", "/hello/digest?x=1", List.of(Map.entry("Host", "localhost:5281"), Map.entry("Cookie", "a=1")),
                "Content-Length: 5");
        assertThat(new String(head, ISO_8859_1)).isEqualTo("POST /hello/digest?x=1 HTTP/1.1\r\nHost: localhost:5281\r\nCookie: a=1\r\nContent-Length: 5\r\n\r\n");
    }

    @Test
    void refusesWhatWouldSplitTheRequest() {
        assertThatThrownBy(() -> LoopbackHttp.head("GET", "/", List.of(Map.entry("X-A", "1\r\nX-Strata-Bridge: guess")), null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LoopbackHttp.head("GET", "/", List.of(Map.entry("X A", "1")), null)).isInstanceOf(IllegalArgumentException.class);
        assertThat(LoopbackHttp.fieldValue("/a\nb")).isFalse();
        assertThat(LoopbackHttp.fieldValue("caf\u00e9\tok")).isTrue();
        assertThat(LoopbackHttp.token("GET")).isTrue();
        assertThat(LoopbackHttp.token("GE T")).isFalse();
        assertThat(LoopbackHttp.token("")).isFalse();
    }

    @Test
    void readsTheFinalHeadAfterInterimOnesWithEveryValue() throws IOException {
        InputStream in = bytes("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length:  3 \r\n"
                + "Connection: keep-alive, close\r\n\r\nabc");
        LoopbackHttp.Head head = LoopbackHttp.readHead(in);
        assertThat(head.status()).isEqualTo(201);
        assertThat(head.headers().get("Set-Cookie")).containsExactly("a=1", "b=2");
        assertThat(head.first("content-length")).isEqualTo("3");
        assertThat(head.has("Connection", "close")).isTrue();
        boolean[] untilClose = new boolean[1];
        assertThat(LoopbackHttp.body(in, head, false, untilClose).readAllBytes()).asString(ISO_8859_1).isEqualTo("abc");
        assertThat(untilClose[0]).isFalse();
    }

    @Test
    void refusesWhatIsNotAnHttpAnswer() {
        assertThatThrownBy(() -> LoopbackHttp.readHead(bytes("SSH-2.0-OpenSSH\r\n\r\n"))).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> LoopbackHttp.readHead(bytes("HTTP/1.1 2xx OK\r\n\r\n"))).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> LoopbackHttp.readHead(bytes("HTTP/1.1 200 OK\r\nno colon\r\n\r\n"))).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> LoopbackHttp.readHead(bytes(""))).isInstanceOf(EOFException.class);
        assertThatThrownBy(() -> LoopbackHttp.readHead(bytes("HTTP/1.1 200 OK\r\nX: " + "y".repeat(70_000) + "\r\n\r\n")))
                .hasMessageContaining("too long");
    }

    @Test
    void readsAChunkedBodyWithExtensionsAndTrailersAndLeavesWhatFollows() throws IOException {
        InputStream in = bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\nNEXT");
        LoopbackHttp.Head head = LoopbackHttp.readHead(in);
        boolean[] untilClose = new boolean[1];
        assertThat(LoopbackHttp.body(in, head, false, untilClose).readAllBytes()).asString(ISO_8859_1).isEqualTo("hello 0123456789");
        assertThat(in.readAllBytes()).asString(ISO_8859_1).as("the next answer on the connection").isEqualTo("NEXT");
    }

    @Test
    void aBodyCutShortIsAnError() throws IOException {
        InputStream in = bytes("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
        LoopbackHttp.Head head = LoopbackHttp.readHead(in);
        InputStream body = LoopbackHttp.body(in, head, false, new boolean[1]);
        assertThatThrownBy(body::readAllBytes).isInstanceOf(EOFException.class);
        InputStream chunked = bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel");
        LoopbackHttp.Head h2 = LoopbackHttp.readHead(chunked);
        assertThatThrownBy(() -> LoopbackHttp.body(chunked, h2, false, new boolean[1]).readAllBytes()).isInstanceOf(EOFException.class);
    }

    @Test
    void headAnswersAndNoContentHaveNoBodyAndOthersMayRunToTheClose() throws IOException {
        InputStream head = bytes("HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n");
        assertThat(LoopbackHttp.body(head, LoopbackHttp.readHead(head), true, new boolean[1]).readAllBytes()).isEmpty();
        InputStream none = bytes("HTTP/1.1 204 No Content\r\n\r\n");
        assertThat(LoopbackHttp.body(none, LoopbackHttp.readHead(none), false, new boolean[1]).readAllBytes()).isEmpty();
        InputStream close = bytes("HTTP/1.0 200 OK\r\n\r\nto the end");
        boolean[] untilClose = new boolean[1];
        assertThat(LoopbackHttp.body(close, LoopbackHttp.readHead(close), false, untilClose).readAllBytes()).asString(ISO_8859_1).isEqualTo("to the end");
        assertThat(untilClose[0]).isTrue();
    }

    @Test
    void writesAChunkedBody() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LoopbackHttp.writeChunked(bytes("hello world"), out);
        assertThat(out.toString(ISO_8859_1)).isEqualTo("b\r\nhello world\r\n0\r\n\r\n");
        ByteArrayOutputStream exact = new ByteArrayOutputStream();
        assertThatThrownBy(() -> LoopbackHttp.writeExactly(bytes("abc"), exact, 5)).isInstanceOf(EOFException.class);
    }

    @Test
    void keepsAConnectionAliveForTheNextRequest() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress()); LoopbackHttp http = new LoopbackHttp(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort()))) {
            Thread peer = Thread.ofVirtual().start(() -> {
                try (Socket s = server.accept()) {
                    for (int i = 0; i < 2; i++) {
                        requestHead(s.getInputStream());
                        s.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(ISO_8859_1));
                    }
                } catch (IOException e) {
                    // the test fails on its side
                }
            });
            for (int i = 0; i < 2; i++) {
                LoopbackHttp.Connection c = http.open(false);
                assertThat(c.reused).isEqualTo(i == 1);
                c.out.write(LoopbackHttp.head("GET", "/", List.of(Map.entry("Host", "x")), null));
                c.out.flush();
                LoopbackHttp.Head head = LoopbackHttp.readHead(c.in);
                assertThat(LoopbackHttp.body(c.in, head, false, new boolean[1]).readAllBytes()).asString(ISO_8859_1).isEqualTo("ok");
                http.release(c, true);
            }
            peer.join();
        }
    }

    /** Reads a request's head, up to its empty line. */
    private static void requestHead(InputStream in) throws IOException {
        int state = 0;
        while (state < 4) {
            int b = in.read();
            if (b < 0) throw new EOFException();
            state = b == (state % 2 == 0 ? '\r' : '\n') ? state + 1 : b == '\r' ? 1 : 0;
        }
    }
}
