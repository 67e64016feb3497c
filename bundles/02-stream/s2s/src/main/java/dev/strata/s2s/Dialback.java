package dev.strata.s2s;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * XEP-0220 §2.4's dialback keys (XEP-0185): HMAC-SHA256 keyed with SHA256(secret) in hex over
 * "receiving originating stream-id", in hex. The secret is this server's alone (the authoritative server checks the keys it
 * made); only this server computes and checks them.
 */
final class Dialback {
    static final String NS = "jabber:server:dialback";
    /** The stream feature of XEP-0220 §2.1 (with {@code <errors/>}: dialback errors are understood). */
    static final String FEATURE = "urn:xmpp:features:dialback";

    private final byte[] key;

    Dialback(String secret) {
        try {
            this.key = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)))
                    .getBytes(StandardCharsets.US_ASCII);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The key an originating server sends for the stream {@code streamId} it opened to {@code receiving}. */
    String key(String receiving, String originating, String streamId) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal((receiving + " " + originating + " " + streamId).getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A dialback element as XEP-0220 writes it, with the {@code db:} prefix the stream headers
     * declare: ejabberd (its XML codec) knows {@code <db:result/>} by that qualified name only.
     */
    static String toXml(dev.strata.api.xml.Element e) {
        StringBuilder sb = new StringBuilder("<db:").append(e.name());
        for (dev.strata.api.xml.Attribute a : e.attributes()) {
            sb.append(' ').append(a.name()).append("=\"");
            dev.strata.api.xml.XmlWriter.escapeAttribute(a.value(), sb);
            sb.append('"');
        }
        if (e.children().isEmpty()) return sb.append("/>").toString();
        sb.append('>');
        for (dev.strata.api.xml.Node child : e.children()) {
            switch (child) {
                // the default namespace inside is still the stream's
                case dev.strata.api.xml.Element c -> sb.append(dev.strata.api.xml.XmlWriter.toString(c, dev.strata.api.transport.StreamHeader.SERVER));
                case dev.strata.api.xml.Text(String value) -> dev.strata.api.xml.XmlWriter.escapeAttribute(value, sb);
            }
        }
        return sb.append("</db:").append(e.name()).append('>').toString();
    }

    /** Whether {@code given} is the key this server made for that stream (compared in constant time). */
    boolean valid(String receiving, String originating, String streamId, String given) {
        if (given == null) return false;
        return MessageDigest.isEqual(key(receiving, originating, streamId).getBytes(StandardCharsets.US_ASCII),
                given.strip().toLowerCase(java.util.Locale.ROOT).getBytes(StandardCharsets.US_ASCII));
    }
}
