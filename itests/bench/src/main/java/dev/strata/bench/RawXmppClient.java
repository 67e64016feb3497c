package dev.strata.bench;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.util.function.Consumer;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

import dev.strata.api.auth.ScramHash;

/**
 * A minimal XMPP client over raw TLS sockets for load and for channel-binding checks: STARTTLS
 * or direct TLS, SCRAM (optionally -PLUS with tls-exporter or tls-server-end-point computed on the
 * client's own TLS session), resource binding; SCRAM through {@link ScramClient}.
 */
public final class RawXmppClient {
    /** Accepts any server certificate: benchmarks and protocol tests, never a client people use. */
    public static final X509TrustManager TRUST_ALL_CERTIFICATES = new X509TrustManager() {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    };
    static final SSLContext TRUST_ALL = trustAll();
    /** The {@code cbType} of a client that can bind but thinks the server cannot (gs2 flag y, RFC 5802 §6). */
    public static final String CLAIM_NO_BINDING = "y";
    private static final String HEADER = "<?xml version='1.0'?><stream:stream to='localhost' version='1.0' xmlns='jabber:client' "
            + "xmlns:stream='http://etherx.jabber.org/streams'>";

    /** The outcome of a login: the open socket, what the server last said, and whether it succeeded. */
    public record Login(SSLSocket socket, boolean success, String transcript) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    private RawXmppClient() {
    }

    /**
     * Logs in as {@code user@localhost}.
     *
     * @param cbType null for no channel binding (gs2 flag n), {@link #CLAIM_NO_BINDING} for gs2 flag y (what a client that
     *        can bind sends when it saw no -PLUS mechanism), else the -PLUS binding type
     */
    public static Login login(int port, boolean directTls, String user, String password, ScramHash hash, String cbType) throws Exception {
        return login(port, directTls, user, password, hash, cbType, tls -> { });
    }

    /** {@link #login}, with {@code tlsSetup} applied to the client's TLS socket before its handshake (protocols, suites, signature schemes). */
    public static Login login(int port, boolean directTls, String user, String password, ScramHash hash, String cbType, Consumer<SSLSocket> tlsSetup)
            throws Exception {
        Login l = authenticate(port, directTls, user, password, hash, cbType, tlsSetup);
        if (!l.success()) return l;
        send(l.socket().getOutputStream(), "<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>");
        return new Login(l.socket(), true, read(l.socket().getInputStream(), "</iq>"));
    }

    /**
     * {@link #login} up to the stream features after authentication, before resource binding:
     * the caller binds (with a resource of its choice) or does anything else a client may do then.
     */
    public static Login authenticate(int port, boolean directTls, String user, String password, ScramHash hash, String cbType) throws Exception {
        return authenticate(port, directTls, user, password, hash, cbType, tls -> { });
    }

    private static Login authenticate(int port, boolean directTls, String user, String password, ScramHash hash, String cbType, Consumer<SSLSocket> tlsSetup)
            throws Exception {
        SSLSocket tls;
        if (directTls) {
            tls = (SSLSocket) TRUST_ALL.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), port);
        } else {
            Socket plain = new Socket(InetAddress.getLoopbackAddress(), port);
            plain.setSoTimeout(30_000);
            send(plain.getOutputStream(), HEADER);
            read(plain.getInputStream(), "</stream:features>");
            send(plain.getOutputStream(), "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
            read(plain.getInputStream(), "<proceed");
            tls = (SSLSocket) TRUST_ALL.getSocketFactory().createSocket(plain, "localhost", port, true);
        }
        tls.setSoTimeout(30_000);
        tlsSetup.accept(tls);
        tls.startHandshake();
        InputStream in = tls.getInputStream();
        OutputStream out = tls.getOutputStream();
        send(out, HEADER);
        String features = read(in, "</stream:features>");
        boolean y = CLAIM_NO_BINDING.equals(cbType);
        if (y) cbType = null;
        String gs2 = y ? "y,," : cbType == null ? "n,," : "p=" + cbType + ",,";
        String mechanism = hash.mechanism() + (cbType == null ? "" : "-PLUS");
        if (!features.contains(">" + mechanism + "<")) return new Login(tls, false, features);
        ScramClient scram = new ScramClient(hash, user, password, gs2);
        send(out, "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='" + mechanism + "'>" + scram.first() + "</auth>");
        String challenge = read(in, "</challenge>");
        if (!challenge.contains("<challenge")) return new Login(tls, false, challenge);
        String b64 = challenge.substring(challenge.indexOf('>', challenge.indexOf("<challenge")) + 1, challenge.indexOf("</challenge>"));
        byte[] cbind = cbType == null ? new byte[0] : channelBinding(tls, cbType);
        send(out, "<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" + scram.fin(b64, cbind) + "</response>");
        String outcome = read(in, "</success>");
        if (!outcome.contains("<success")) return new Login(tls, false, outcome);
        String v = outcome.substring(outcome.indexOf('>', outcome.indexOf("<success")) + 1, outcome.indexOf("</success>"));
        if (!scram.verify(v)) throw new IllegalStateException("the server's signature is wrong: " + v);
        send(out, HEADER);
        return new Login(tls, true, read(in, "</stream:features>"));
    }

    /** HMAC-SHA-256(token, label): the hashed-token mechanisms' proofs ("Initiator", "Responder"; no channel binding: HT-SHA-256-NONE). */
    public static byte[] hmac(String token, String label) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(token.getBytes(UTF_8), "HmacSHA256"));
            return mac.doFinal(label.getBytes(UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The HT-SHA-256-NONE initial response, base64: {@code user NUL HMAC(token, "Initiator")} (XEP-0484, draft-schmaus-kitten-sasl-ht). */
    public static String hashedToken(String user, String token) {
        byte[] u = (user + "\0").getBytes(UTF_8);
        byte[] h = hmac(token, "Initiator");
        byte[] all = java.util.Arrays.copyOf(u, u.length + h.length);
        System.arraycopy(h, 0, all, u.length, h.length);
        return java.util.Base64.getEncoder().encodeToString(all);
    }

    /** The channel binding data as the client computes it from its own TLS session (RFC 9266, RFC 5929). */
    static byte[] channelBinding(SSLSocket tls, String type) throws GeneralSecurityException, IOException {
        return switch (type) {
            case "tls-exporter" -> ((ExtendedSSLSession) tls.getSession()).exportKeyingMaterialData("EXPORTER-Channel-Binding", null, 32);
            case "tls-server-end-point" -> MessageDigest.getInstance("SHA-256").digest(tls.getSession().getPeerCertificates()[0].getEncoded());
            default -> "unknown".getBytes(UTF_8);
        };
    }

    private static void send(OutputStream out, String s) throws IOException {
        out.write(s.getBytes(UTF_8));
        out.flush();
    }

    /** Reads until {@code marker}, a SASL failure or the end of the stream arrives; returns what was read. */
    private static String read(InputStream in, String marker) throws IOException {
        StringBuilder sb = new StringBuilder();
        byte[] buf = new byte[4096];
        while (!sb.toString().contains(marker) && !sb.toString().contains("</failure>") && !sb.toString().contains("</stream:stream>")) {
            int n = in.read(buf);
            if (n < 0) return sb.toString();
            sb.append(new String(buf, 0, n, UTF_8));
        }
        return sb.toString();
    }

    private static SSLContext trustAll() {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[] {TRUST_ALL_CERTIFICATES}, null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
