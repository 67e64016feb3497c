package dev.strata.servlets.internal;

import static java.nio.charset.StandardCharsets.ISO_8859_1;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.TimeUnit;

/**
 * HTTP/1.1 to the whiteboard's Jetty on loopback: blocking, on the caller's (virtual) thread, over a
 * pool of kept-alive connections. It speaks only to that one trusted peer, so it is small: the
 * request is written from parts the listeners' decoder already checked (with its own framing:
 * {@code Content-Length}, or chunked when the client's body came chunked), and the answer is read
 * with the three framings of RFC 9112 §6.3 (length, chunked, until close). The JDK's {@code
 * HttpClient} did the same job at about three times the CPU per request (its selector thread and
 * asynchronous hand-offs), which is why this exists.
 */
final class LoopbackHttp implements AutoCloseable {
    /** Kept-alive connections at most, and how long one may wait unused (Jetty's own idle timeout is longer). */
    private static final int MAX_IDLE = 64;
    private static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(20);
    /** A line of the answer's head, and the head, at most. */
    private static final int MAX_LINE = 16 * 1024, MAX_HEAD = 64 * 1024;

    private final InetSocketAddress address;
    private final ConcurrentLinkedDeque<Connection> idle = new ConcurrentLinkedDeque<>();
    private volatile boolean closed;

    LoopbackHttp(InetSocketAddress address) {
        this.address = address;
    }

    InetSocketAddress address() {
        return address;
    }

    /** One connection to Jetty. */
    static final class Connection implements AutoCloseable {
        final Socket socket;
        final InputStream in;
        final OutputStream out;
        final boolean reused;
        long idleSince;

        Connection(Socket socket, boolean reused) throws IOException {
            this.socket = socket;
            this.in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
            this.out = new BufferedOutputStream(socket.getOutputStream(), 16 * 1024);
            this.reused = reused;
        }

        private Connection(Connection idle) {
            this.socket = idle.socket;
            this.in = idle.in;
            this.out = idle.out;
            this.reused = true;
        }

        @Override
        public void close() {
            try {
                socket.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }

    /** A kept-alive connection not idle for too long, or a new one. */
    Connection open(boolean fresh) throws IOException {
        if (closed) throw new IOException("the servlet whiteboard's connections are closed");
        for (Connection c; !fresh && (c = idle.pollFirst()) != null;) {
            if (System.nanoTime() - c.idleSince < IDLE_NANOS && !c.socket.isClosed()) return new Connection(c);
            c.close();
        }
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.connect(address, 5000);
            return new Connection(s, false);
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    /** Gives a connection back once its answer was read to the end, or closes it. */
    void release(Connection c, boolean reusable) {
        if (reusable && !closed && idle.size() < MAX_IDLE) {
            c.idleSince = System.nanoTime();
            idle.offerFirst(c);
            if (closed) drain();
        } else {
            c.close();
        }
    }

    @Override
    public void close() {
        closed = true;
        drain();
    }

    private void drain() {
        for (Connection c; (c = idle.pollFirst()) != null;) c.close();
    }

    // --- the request -----------------------------------------------------------------------------

    /** The request line and headers, framing included, as bytes (header values are Latin-1, as the listeners decoded them). */
    static byte[] head(String method, String target, List<Map.Entry<String, String>> headers, String framing) {
        StringBuilder h = new StringBuilder(512);
        h.append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
        for (Map.Entry<String, String> e : headers) {
            if (!token(e.getKey()) || !fieldValue(e.getValue())) throw new IllegalArgumentException("header " + e.getKey() + " cannot be passed on");
            h.append(e.getKey()).append(": ").append(e.getValue()).append("\r\n");
        }
        if (framing != null) h.append(framing).append("\r\n");
        return h.append("\r\n").toString().getBytes(ISO_8859_1);
    }

    /** Whether {@code s} is an RFC 9110 token (a method or header name). */
    static boolean token(String s) {
        if (s.isEmpty()) return false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c <= 0x20 || c >= 0x7f || "\"(),/:;<=>?@[\\]{}".indexOf(c) >= 0) return false;
        }
        return true;
    }

    /** Whether {@code s} may stand as a header value or request target: no control characters (CR, LF, NUL...). */
    static boolean fieldValue(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 && c != '\t' || c == 0x7f || c > 0xff) return false;
        }
        return true;
    }

    /** Copies {@code body} to {@code out} in chunked coding, then its last chunk. */
    static void writeChunked(InputStream body, OutputStream out) throws IOException {
        byte[] buffer = new byte[16 * 1024];
        for (int n; (n = body.read(buffer)) >= 0;) {
            if (n == 0) continue;
            out.write((Integer.toHexString(n) + "\r\n").getBytes(ISO_8859_1));
            out.write(buffer, 0, n);
            out.write('\r');
            out.write('\n');
            if (body.available() == 0) out.flush();
        }
        out.write("0\r\n\r\n".getBytes(ISO_8859_1));
        out.flush();
    }

    /** Copies exactly {@code length} bytes of {@code body} to {@code out}. */
    static void writeExactly(InputStream body, OutputStream out, long length) throws IOException {
        byte[] buffer = new byte[16 * 1024];
        long left = length;
        while (left > 0) {
            int n = body.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) throw new EOFException("the client's body ended " + left + " bytes early");
            out.write(buffer, 0, n);
            left -= n;
            if (body.available() == 0) out.flush();
        }
        out.flush();
    }

    // --- the answer ------------------------------------------------------------------------------

    /** An answer's status line and headers (names as Jetty wrote them, values in order). */
    record Head(int status, Map<String, List<String>> headers) {
        String first(String name) {
            for (Map.Entry<String, List<String>> e : headers.entrySet()) {
                if (e.getKey().equalsIgnoreCase(name) && !e.getValue().isEmpty()) return e.getValue().getFirst();
            }
            return null;
        }

        /** The body's length by {@code Content-Length}; -1 when chunked or unsaid; an {@link IOException} when it is no length. */
        long length() throws IOException {
            if (has("Transfer-Encoding", "chunked")) return -1;
            String length = first("Content-Length");
            if (length == null) return -1;
            long n;
            try {
                n = Long.parseLong(length.strip());
            } catch (NumberFormatException e) {
                throw new IOException("not a Content-Length: " + printable(length));
            }
            if (n < 0) throw new IOException("a negative Content-Length");
            return n;
        }

        /** Whether a header (comma-separated list) has {@code token} among its values. */
        boolean has(String name, String token) {
            for (Map.Entry<String, List<String>> e : headers.entrySet()) {
                if (!e.getKey().equalsIgnoreCase(name)) continue;
                for (String v : e.getValue()) {
                    for (String t : v.split(",")) if (t.strip().equalsIgnoreCase(token)) return true;
                }
            }
            return false;
        }
    }

    /** Reads the next final answer's head, skipping interim (1xx) ones. */
    static Head readHead(InputStream in) throws IOException {
        while (true) {
            int[] budget = {MAX_HEAD};
            String status = line(in, budget);
            if (!status.startsWith("HTTP/1.") || status.length() < 12 || status.charAt(8) != ' ') throw new IOException("not an HTTP/1.x status line: " + printable(status));
            int code;
            try {
                code = Integer.parseInt(status.substring(9, 12));
            } catch (NumberFormatException e) {
                throw new IOException("not an HTTP status: " + printable(status));
            }
            if (code < 100 || code > 599) throw new IOException("not an HTTP status: " + code);
            Map<String, List<String>> headers = new LinkedHashMap<>();
            for (String h; !(h = line(in, budget)).isEmpty();) {
                int colon = h.indexOf(':');
                if (colon <= 0 || !token(h.substring(0, colon))) throw new IOException("not a header line: " + printable(h));
                headers.computeIfAbsent(h.substring(0, colon), k -> new ArrayList<>(1)).add(h.substring(colon + 1).strip());
            }
            if (code >= 200) return new Head(code, headers); // 1xx: interim, the final answer follows
        }
    }

    /** One CRLF-ended line (a bare LF is taken too), Latin-1, within the head's budget. */
    private static String line(InputStream in, int[] budget) throws IOException {
        StringBuilder s = new StringBuilder(64);
        while (true) {
            int b = in.read();
            if (b < 0) throw new EOFException(s.isEmpty() ? "the connection closed before an answer" : "the answer's head was cut short");
            if (--budget[0] < 0 || s.length() > MAX_LINE) throw new IOException("the answer's head is too long");
            if (b == '\n') {
                int n = s.length();
                if (n > 0 && s.charAt(n - 1) == '\r') s.setLength(n - 1);
                return s.toString();
            }
            s.append((char) b);
        }
    }

    private static String printable(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }

    /** The answer's body as framed by its head: nothing, a length, chunked, or up to the connection's close ({@code untilClose[0]} set then). */
    static InputStream body(InputStream in, Head head, boolean noBody, boolean[] untilClose) throws IOException {
        untilClose[0] = false;
        if (noBody || head.status() < 200 || head.status() == 204 || head.status() == 304) return InputStream.nullInputStream();
        if (head.has("Transfer-Encoding", "chunked")) return new Chunked(in);
        long length = head.length();
        if (length >= 0) return new Bounded(in, length);
        untilClose[0] = true;
        return in;
    }

    /** A body read from the connection: the one-byte read goes through the array read of each framing. */
    private abstract static class Body extends InputStream {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }
    }

    /** A body of a known length; reading past it gives the end. */
    private static final class Bounded extends Body {
        private final InputStream in;
        private long left;

        Bounded(InputStream in, long length) {
            this.in = in;
            this.left = length;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left == 0) return -1;
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n < 0) throw new EOFException("the answer's body ended " + left + " bytes early");
            left -= n;
            return n;
        }

        @Override
        public int available() throws IOException {
            return (int) Math.min(in.available(), left);
        }
    }

    /** A chunked body (RFC 9112 §7.1), trailers read and dropped. */
    static final class Chunked extends Body {
        private final InputStream in;
        private long left;
        private boolean done;

        Chunked(InputStream in) {
            this.in = in;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (done) return -1;
            if (left == 0) {
                int[] budget = {MAX_HEAD};
                String size = line(in, budget);
                int semi = size.indexOf(';');
                try {
                    left = Long.parseLong((semi < 0 ? size : size.substring(0, semi)).strip(), 16);
                } catch (NumberFormatException e) {
                    throw new IOException("not a chunk size: " + printable(size));
                }
                if (left < 0) throw new IOException("a negative chunk size");
                if (left == 0) {
                    while (!line(in, budget).isEmpty()) { /* trailers: dropped */ }
                    done = true;
                    return -1;
                }
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n < 0) throw new EOFException("the answer's body was cut short");
            left -= n;
            if (left == 0) {
                int cr = in.read(), lf = in.read();
                if (cr != '\r' || lf != '\n') throw new IOException("a chunk does not end with CRLF");
            }
            return n;
        }

        @Override
        public int available() throws IOException {
            return done || left == 0 ? 0 : (int) Math.min(in.available(), left);
        }
    }
}
