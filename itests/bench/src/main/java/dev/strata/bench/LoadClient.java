package dev.strata.bench;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Base64;
import java.util.function.LongConsumer;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

import dev.strata.api.auth.ScramHash;

/**
 * One XMPP client session for the load driver: plain TCP or STARTTLS, SCRAM-SHA-1 or -256, bind,
 * initial presence (or SASL2 with a FAST token and Bind 2, in one round trip); then messages to a
 * partner and a reader that counts the messages it receives and their latency. Blocking sockets, meant for virtual threads (the JDK parks them on its NIO
 * poller), so thousands of sessions cost a few kilobytes each in the driver.
 */
final class LoadClient implements AutoCloseable {
    private static final SSLContext TLS = RawXmppClient.TRUST_ALL;

    private static final String FRAMING = "urn:ietf:params:xml:ns:xmpp-framing";

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final StringBuilder pending = new StringBuilder();
    private final byte[] buf = new byte[16 * 1024];
    final String jid;
    /** XMPP over WebSocket (RFC 7395): each send is one masked text message, and what is read is the messages' text run together. */
    private final boolean ws;

    private LoadClient(Socket socket, String jid) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
        this.jid = jid;
        this.ws = false;
    }

    private LoadClient(Socket socket, InputStream in, String jid) throws IOException {
        this.socket = socket;
        this.in = in;
        this.out = socket.getOutputStream();
        this.jid = jid;
        this.ws = true;
    }

    /**
     * Logs in over a WebSocket ({@code ws://127.0.0.1:port/path}, RFC 7395) with SCRAM, binds and
     * sends initial presence, as {@link #login} does over TCP.
     */
    static LoadClient loginWs(int port, String path, String domain, ScramHash hash, String user, String password, String resource) throws Exception {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
        s.setTcpNoDelay(true);
        s.setSoTimeout(60_000);
        LoadClient c;
        try {
            byte[] key = new byte[16];
            java.util.concurrent.ThreadLocalRandom.current().nextBytes(key);
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(key) + "\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: xmpp\r\n\r\n")
                    .getBytes(UTF_8));
            java.io.BufferedInputStream raw = new java.io.BufferedInputStream(s.getInputStream(), 16 * 1024);
            StringBuilder head = new StringBuilder();
            while (head.length() < 4 || !head.substring(head.length() - 4).equals("\r\n\r\n")) {
                int b = raw.read();
                if (b < 0 || head.length() > 8192) throw new IOException("no WebSocket handshake: " + head);
                head.append((char) b);
            }
            if (!head.toString().startsWith("HTTP/1.1 101")) throw new IOException("WebSocket refused: " + head);
            Frames frames = new Frames(raw);
            c = new LoadClient(s, frames, user + "@" + domain + "/" + resource);
            frames.owner = c;
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
        String open = "<open xmlns='" + FRAMING + "' to='" + domain + "' version='1.0'/>";
        try {
            c.send(open);
        } catch (IOException e) {
            c.close();
            throw e;
        }
        return scramAndBind(c, open, " xmlns='jabber:client'", hash, user, password, resource);
    }

    /** The text of the server's WebSocket messages, run together; pings answered, a close frame the end. */
    private static final class Frames extends InputStream {
        private final InputStream raw;
        LoadClient owner;
        private long remaining;

        Frames(InputStream raw) {
            this.raw = raw;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            while (remaining == 0) {
                int b0 = raw.read(), b1 = raw.read();
                if (b0 < 0 || b1 < 0) return -1;
                long length = b1 & 0x7f;
                if (length == 126) length = (raw.read() << 8) | raw.read();
                else if (length == 127) length = new java.io.DataInputStream(raw).readLong();
                int opcode = b0 & 0x0f;
                if (opcode == 0 || opcode == 1) {
                    remaining = length;
                } else {
                    byte[] payload = raw.readNBytes((int) length);
                    if (opcode == 8) return -1;
                    if (opcode == 9) owner.frame(0xA, payload);
                }
            }
            int n = raw.read(b, off, (int) Math.min(len, remaining));
            if (n > 0) remaining -= n;
            return n;
        }
    }

    /** One masked frame (RFC 6455 §5.2) of {@code opcode}. */
    private synchronized void frame(int opcode, byte[] payload) throws IOException {
        int len = payload.length;
        byte[] f = new byte[len + 14];
        int i = 0;
        f[i++] = (byte) (0x80 | opcode);
        if (len < 126) {
            f[i++] = (byte) (0x80 | len);
        } else if (len < 65536) {
            f[i++] = (byte) (0x80 | 126);
            f[i++] = (byte) (len >> 8);
            f[i++] = (byte) len;
        } else {
            f[i++] = (byte) (0x80 | 127);
            for (int k = 7; k >= 0; k--) f[i++] = (byte) (k >= 4 ? 0 : len >>> (8 * k));
        }
        int mask = java.util.concurrent.ThreadLocalRandom.current().nextInt();
        for (int k = 0; k < 4; k++) f[i++] = (byte) (mask >>> (24 - 8 * k));
        for (int k = 0; k < len; k++) f[i + k] = (byte) (payload[k] ^ (mask >>> (24 - 8 * (k & 3))));
        out.write(f, 0, i + len);
        out.flush();
    }

    private static String header(String domain) {
        return "<?xml version='1.0'?><stream:stream to='" + domain + "' version='1.0' xmlns='jabber:client' "
                + "xmlns:stream='http://etherx.jabber.org/streams'>";
    }

    /**
     * A connection with its stream open, over STARTTLS or plain TCP; with {@code first} (pipelined
     * after TLS, before the features are read) sent in the same write as the stream header.
     */
    private static LoadClient connect(int port, String domain, boolean startTls, String jid, String first) throws IOException {
        Socket plain = new Socket(InetAddress.getLoopbackAddress(), port);
        plain.setTcpNoDelay(true);
        plain.setSoTimeout(60_000);
        LoadClient c = new LoadClient(plain, jid);
        try {
            if (startTls) {
                c.send(header(domain));
                c.readUntil("</stream:features>");
                c.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
                c.readUntil("<proceed");
                c.readUntil(">");
                SSLSocket tls = (SSLSocket) TLS.getSocketFactory().createSocket(plain, domain, port, true);
                tls.startHandshake();
                c = new LoadClient(tls, jid);
            }
            c.send(header(domain) + first);
            return c;
        } catch (IOException | RuntimeException e) {
            c.socket.close();
            plain.close();
            throw e;
        }
    }

    /** Logs in as {@code user@domain/resource} and sends initial presence; throws when any step fails. */
    static LoadClient login(int port, String domain, boolean startTls, ScramHash hash, String user, String password, String resource)
            throws Exception {
        return scramAndBind(connect(port, domain, startTls, user + "@" + domain + "/" + resource, ""), header(domain), "", hash, user, password, resource);
    }

    /**
     * On a stream whose features come next: SCRAM, the stream restarted with {@code restart}, bind,
     * initial presence; {@code ns} is what stanzas declare ({@code xmlns='jabber:client'} over a
     * WebSocket, nothing on TCP). Closes {@code c} when a step fails.
     */
    private static LoadClient scramAndBind(LoadClient c, String restart, String ns, ScramHash hash, String user, String password, String resource)
            throws Exception {
        try {
            String features = c.readUntil("</stream:features>");
            if (!features.contains(">" + hash.mechanism() + "<")) throw new IOException(hash.mechanism() + " not offered: " + features);
            ScramClient scram = new ScramClient(hash, user, password, "n,,");
            c.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='" + hash.mechanism() + "'>" + scram.first() + "</auth>");
            String challenge = c.readUntil("</challenge>");
            c.send("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" + scram.fin(text(challenge, "challenge"), new byte[0]) + "</response>");
            String success = c.readUntil("</success>");
            if (!scram.verify(text(success, "success"))) throw new IOException("wrong server signature");
            c.send(restart);
            c.readUntil("</stream:features>");
            c.send("<iq" + ns + " type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>" + resource + "</resource></bind></iq>");
            String bound = c.readUntil("</iq>");
            if (!bound.contains("type='result'") && !bound.contains("type=\"result\"")) throw new IOException("bind failed: " + bound);
            c.send("<presence" + ns + "/>");
            return c;
        } catch (Exception e) {
            c.close();
            throw e;
        }
    }

    /** A XEP-0484 token for one client ({@code clientId}, a UUID) of {@code user}, got with a SASL2 PLAIN login over STARTTLS. */
    static String fastToken(int port, String domain, String user, String password, String clientId) throws Exception {
        String ir = Base64.getEncoder().encodeToString(("\0" + user + "\0" + password).getBytes(UTF_8));
        try (LoadClient c = connect(port, domain, true, user + "@" + domain, "")) {
            String features = c.readUntil("</stream:features>");
            if (!features.contains("urn:xmpp:fast:0")) throw new IOException("FAST not offered: " + features);
            c.send("<authenticate xmlns='urn:xmpp:sasl:2' mechanism='PLAIN'><initial-response>" + ir + "</initial-response><user-agent id='" + clientId
                    + "'/><request-token xmlns='urn:xmpp:fast:0' mechanism='HT-SHA-256-NONE'/></authenticate>");
            String success = c.readUntil("</success>").replace('"', '\'');
            int t = success.indexOf(" token='");
            if (t < 0) throw new IOException("no token: " + success);
            return success.substring(t + 8, success.indexOf('\'', t + 8));
        }
    }

    /**
     * Logs in with a FAST token as a reconnecting client does (XEP-0388 SASL2, XEP-0484 with
     * HT-SHA-256-NONE, XEP-0386 Bind 2 with tag {@code resource}), the request pipelined with the
     * stream header after TLS: one round trip to a bound session. Sends initial presence.
     */
    static LoadClient loginFast(int port, String domain, String user, String token, String clientId, String resource) throws Exception {
        String authenticate = "<authenticate xmlns='urn:xmpp:sasl:2' mechanism='HT-SHA-256-NONE'><initial-response>" + RawXmppClient.hashedToken(user, token)
                + "</initial-response><user-agent id='" + clientId + "'/><bind xmlns='urn:xmpp:bind:0'><tag>" + resource
                + "</tag></bind><fast xmlns='urn:xmpp:fast:0'/></authenticate>";
        LoadClient c = connect(port, domain, true, user + "@" + domain + "/" + resource, authenticate);
        try {
            String success = c.readUntil("</success>");
            String expected = Base64.getEncoder().encodeToString(RawXmppClient.hmac(token, "Responder"));
            if (!success.contains(expected)) throw new IOException("wrong server proof: " + success);
            c.send("<presence/>");
            return c;
        } catch (Exception e) {
            c.close();
            throw e;
        }
    }


    private static String text(String stanza, String name) {
        int open = stanza.indexOf("<" + name);
        return stanza.substring(stanza.indexOf('>', open) + 1, stanza.indexOf("</" + name + ">"));
    }

    void send(String s) throws IOException {
        if (ws) {
            frame(1, s.getBytes(UTF_8));
            return;
        }
        out.write(s.getBytes(UTF_8));
        out.flush();
    }

    /** Sends a chat message whose body carries a sequence number and the send time (driver's nanoTime). */
    void message(String to, long seq) throws IOException {
        message(to, seq, System.nanoTime());
    }

    /** Sends a chat message stamped {@code sentNanos}, the time latency counts from (its scheduled time under an open loop). */
    void message(String to, long seq, long sentNanos) throws IOException {
        send("<message " + (ws ? "xmlns='jabber:client' " : "") + "to='" + to + "' type='chat'><body>" + seq + " " + sentNanos + "</body></message>");
    }

    /** Reads until {@code marker}; returns what came up to and including it. A stream error or a SASL failure throws. */
    String readUntil(String marker) throws IOException {
        int from = 0;
        while (true) {
            int i = pending.indexOf(marker, from);
            if (i >= 0) {
                String got = pending.substring(0, i + marker.length());
                pending.delete(0, i + marker.length());
                return got;
            }
            if (pending.indexOf("</failure>") >= 0 || pending.indexOf("</stream:error>") >= 0 || pending.indexOf("</stream:stream>") >= 0) {
                throw new IOException("refused: " + pending);
            }
            from = Math.max(0, pending.length() - marker.length());
            int n = in.read(buf);
            if (n < 0) throw new IOException("closed by the server after: " + pending);
            pending.append(new String(buf, 0, n, UTF_8));
        }
    }

    /** Reads until any of {@code markers} (servers quote attributes differently); returns what came up to and including it. */
    String readUntilAny(String... markers) throws IOException {
        while (true) {
            int best = -1;
            String found = null;
            for (String m : markers) {
                int i = pending.indexOf(m);
                if (i >= 0 && (best < 0 || i < best)) {
                    best = i;
                    found = m;
                }
            }
            if (found != null) {
                String got = pending.substring(0, best + found.length());
                pending.delete(0, best + found.length());
                return got;
            }
            if (pending.indexOf("</stream:error>") >= 0 || pending.indexOf("</stream:stream>") >= 0) throw new IOException("refused: " + pending);
            int n = in.read(buf);
            if (n < 0) throw new IOException("closed by the server after: " + pending);
            pending.append(new String(buf, 0, n, UTF_8));
        }
    }

    /**
     * Reads until the socket closes, handing each received chat message's latency in nanoseconds
     * to {@code latency}; other stanzas are skipped.
     */
    void readMessages(LongConsumer latency) {
        try {
            while (true) {
                int end;
                while ((end = pending.indexOf("</message>")) >= 0) {
                    int body = pending.lastIndexOf("<body>", end);
                    if (body >= 0) {
                        String b = pending.substring(body + 6, pending.indexOf("</body>", body));
                        latency.accept(System.nanoTime() - Long.parseLong(b.substring(b.indexOf(' ') + 1)));
                    }
                    pending.delete(0, end + "</message>".length());
                }
                int n = in.read(buf);
                if (n < 0) return;
                pending.append(new String(buf, 0, n, UTF_8));
            }
        } catch (IOException e) {
            // the session was closed
        }
    }

    /**
     * Reads until the socket closes, handing each top-level stanza (or stream element such as a
     * XEP-0198 {@code <r/>}) to {@code stanza} as text. Enough of XML for servers' output: a
     * top-level element ends at its self-closing start tag or at its own end tag (none of the
     * elements read here contains one of its own name).
     */
    void serve(java.util.function.Consumer<String> stanza) {
        try {
            while (true) {
                while (true) {
                    int start = pending.indexOf("<");
                    if (start < 0) break;
                    int gt = pending.indexOf(">", start);
                    if (gt < 0) break;
                    int nameEnd = start + 1;
                    while (nameEnd < gt && !Character.isWhitespace(pending.charAt(nameEnd)) && pending.charAt(nameEnd) != '>' && pending.charAt(nameEnd) != '/') nameEnd++;
                    String name = pending.substring(start + 1, nameEnd);
                    int end;
                    if (pending.charAt(gt - 1) == '/') {
                        end = gt + 1;
                    } else {
                        int close = pending.indexOf("</" + name + ">", gt);
                        if (close < 0) break;
                        end = close + name.length() + 3;
                    }
                    stanza.accept(pending.substring(start, end));
                    pending.delete(0, end);
                }
                int n = in.read(buf);
                if (n < 0) return;
                pending.append(new String(buf, 0, n, UTF_8));
            }
        } catch (IOException e) {
            // the session was closed
        }
    }

    /**
     * Reads what waits for this client, counting each message, until the server closes the
     * connection (true) or nothing came for {@code quiet} (false).
     */
    boolean drain(Duration quiet, Runnable message) {
        try {
            socket.setSoTimeout((int) quiet.toMillis());
            while (true) {
                int end;
                while ((end = pending.indexOf("</message>")) >= 0) {
                    message.run();
                    pending.delete(0, end + "</message>".length());
                }
                int n = in.read(buf);
                if (n < 0) return true;
                pending.append(new String(buf, 0, n, UTF_8));
                if (pending.indexOf("</stream:stream>") >= 0) return true;
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset by the server
        }
    }

    /** Closes the stream politely (the server's closing tag is not awaited) and the socket. */
    @Override
    public void close() {
        try {
            send(ws ? "<close xmlns='" + FRAMING + "'/>" : "</stream:stream>");
        } catch (IOException e) {
            // already gone
        }
        try {
            socket.close();
        } catch (IOException e) {
            // already gone
        }
    }
}
