package dev.strata.transport.internal;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.lang.reflect.Field;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import javax.crypto.KDF;
import javax.crypto.spec.HKDFParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSession;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.handler.ssl.ReferenceCountedOpenSslContext;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SslContext;
import io.netty.internal.tcnative.KeyLogCallback;
import io.netty.internal.tcnative.SSL;
import io.netty.internal.tcnative.SSLContext;

/**
 * The RFC 9266 {@code tls-exporter} channel binding, on either engine. The JDK's has an exporter;
 * BoringSSL's JNI binding has none: BoringSSL hands every TLS 1.3 secret to the context's key-log
 * callback as an NSS key-log line; this keeps the {@code EXPORTER_SECRET} per handshake (by client
 * random) until the connection takes it, and derives the exporter from it as RFC 8446 §7.5 does.
 * Nothing is written anywhere; a secret not taken (a handshake abandoned midway) is dropped when
 * its connection closes, or after a minute at the latest.
 */
final class ExporterSecrets implements KeyLogCallback {
    private static final Logger LOG = LoggerFactory.getLogger(ExporterSecrets.class);
    private static final byte[] LABEL = "EXPORTER_SECRET ".getBytes(US_ASCII);
    private static final long MAX_AGE_NANOS = 60_000_000_000L;
    private static final HexFormat HEX = HexFormat.of();
    private static final String LABEL_CHANNEL_BINDING = "EXPORTER-Channel-Binding";

    private record Pending(byte[] secret, long born) {
    }

    private final Map<String, Pending> secrets = new ConcurrentHashMap<>();
    private volatile long lastSweep = System.nanoTime();

    /**
     * Registers this as {@code ctx}'s key-log callback. netty 4.1 has no option for it and hands out
     * only the raw SSL_CTX, while tcnative wants its own context structure, which netty keeps in a
     * protected field; false (and no tls-exporter on this context) when that cannot be read.
     */
    boolean attach(SslContext ctx) {
        if (!(ctx instanceof ReferenceCountedOpenSslContext)) return false;
        try {
            Field f = ReferenceCountedOpenSslContext.class.getDeclaredField("ctx");
            f.setAccessible(true);
            long tcn = f.getLong(ctx);
            return tcn != 0 && SSLContext.setKeyLogCallback(tcn, this);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false;
        }
    }

    /** Called by BoringSSL on the event loop during the handshake, once per secret. */
    @Override
    public void handle(long ssl, byte[] line) {
        if (line.length < LABEL.length || !Arrays.equals(line, 0, LABEL.length, LABEL, 0, LABEL.length)) return;
        // EXPORTER_SECRET <client random, 64 hex> <secret, 64 or 96 hex>
        String text = new String(line, LABEL.length, line.length - LABEL.length, US_ASCII).trim();
        int space = text.indexOf(' ');
        if (space < 0) return;
        String random = text.substring(0, space);
        long now = System.nanoTime();
        try {
            secrets.put(random, new Pending(HEX.parseHex(text, space + 1, text.length()), now));
        } catch (IllegalArgumentException e) {
            return; // not hex: nothing to keep (and no exception may travel back into native code)
        }
        if (now - lastSweep > MAX_AGE_NANOS / 2) sweep(now);
    }

    private void sweep(long now) {
        lastSweep = now;
        secrets.values().removeIf(p -> now - p.born() > MAX_AGE_NANOS);
    }

    private static String clientRandom(SSLEngine engine) {
        if (!(engine instanceof ReferenceCountedOpenSslEngine e)) return null;
        long ssl = e.sslPointer();
        if (ssl == 0) return null;
        byte[] random = SSL.getClientRandom(ssl);
        return random == null ? null : HEX.formatHex(random);
    }

    /**
     * The {@code tls-exporter} binding of a completed handshake (32 bytes with label
     * {@code EXPORTER-Channel-Binding}, no context): from the secret kept for it on BoringSSL, from
     * the JDK's exporter on its engine; empty for TLS 1.2.
     */
    Optional<byte[]> take(SSLEngine engine) {
        SSLSession session = engine.getSession();
        boolean tls13 = "TLSv1.3".equals(session.getProtocol());
        try {
            if (!(engine instanceof ReferenceCountedOpenSslEngine)) {
                return tls13 && session instanceof ExtendedSSLSession es
                        ? Optional.of(es.exportKeyingMaterialData(LABEL_CHANNEL_BINDING, null, 32)) : Optional.empty();
            }
            String random = clientRandom(engine);
            Pending pending = random == null ? null : secrets.remove(random);
            if (pending == null || !tls13) return Optional.empty();
            String hash = session.getCipherSuite().endsWith("SHA384") ? "SHA-384" : "SHA-256";
            return Optional.of(exporter(hash, pending.secret(), LABEL_CHANNEL_BINDING, 32));
        } catch (GeneralSecurityException | SSLException | UnsupportedOperationException e) {
            LOG.debug("tls-exporter unavailable: {}", e.toString());
            return Optional.empty();
        }
    }

    /** Drops what a connection that closes before its handshake completed left behind. */
    void discard(SSLEngine engine) {
        String random = clientRandom(engine);
        if (random == null) return;
        secrets.remove(random);
    }

    int pending() {
        return secrets.size();
    }

    /**
     * RFC 8446 §7.5: TLS-Exporter(label, context, length) = HKDF-Expand-Label(Derive-Secret(secret,
     * label, ""), "exporter", Hash(context), length), with an empty context.
     */
    static byte[] exporter(String hash, byte[] exporterSecret, String label, int length) throws GeneralSecurityException {
        MessageDigest md = MessageDigest.getInstance(hash);
        byte[] emptyHash = md.digest();
        byte[] derived = expandLabel(hash, exporterSecret, label, emptyHash, emptyHash.length);
        return expandLabel(hash, derived, "exporter", emptyHash, length);
    }

    /** RFC 8446 §7.1 HKDF-Expand-Label. */
    static byte[] expandLabel(String hash, byte[] secret, String label, byte[] context, int length) throws GeneralSecurityException {
        byte[] full = ("tls13 " + label).getBytes(US_ASCII);
        byte[] info = new byte[2 + 1 + full.length + 1 + context.length];
        info[0] = (byte) (length >>> 8);
        info[1] = (byte) length;
        info[2] = (byte) full.length;
        System.arraycopy(full, 0, info, 3, full.length);
        info[3 + full.length] = (byte) context.length;
        System.arraycopy(context, 0, info, 4 + full.length, context.length);
        String kdf = "SHA-384".equals(hash) ? "HKDF-SHA384" : "HKDF-SHA256";
        return KDF.getInstance(kdf).deriveData(HKDFParameterSpec.expandOnly(new SecretKeySpec(secret, "HKDF-PRK"), info, length));
    }
}
