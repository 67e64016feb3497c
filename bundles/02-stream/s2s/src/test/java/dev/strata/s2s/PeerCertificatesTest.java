package dev.strata.s2s;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.DERTaggedObject;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.DERIA5String;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** RFC 6125 name matching and PKIX validation of other servers' certificates, on certificates made here by a test authority. */
class PeerCertificatesTest {
    private static final AtomicLong SERIAL = new AtomicLong(1);
    private static final KeyPair CA_KEYS = keys(), OTHER_CA_KEYS = keys(), LEAF_KEYS = keys();
    private static final X509Certificate CA = ca("CN=Strata Test CA", CA_KEYS), OTHER_CA = ca("CN=Someone Else", OTHER_CA_KEYS);

    @Test
    void aDnsIdSignedByATrustedAuthorityIsGood() {
        PeerCertificates pc = new PeerCertificates(Set.of(new TrustAnchor(CA, null)));
        X509Certificate leaf = leaf("CN=ignored", CA, CA_KEYS, 30, dns("beta.test"));
        assertThat(pc.problem(List.of(leaf), "beta.test")).isNull();
        assertThat(pc.problem(List.of(leaf, CA), "beta.test")).as("with the root sent along").isNull();
        assertThat(pc.problem(List.of(leaf), "gamma.test")).startsWith("the certificate is not for gamma.test (it is for beta.test)");
        assertThat(pc.problem(List.of(), "beta.test")).isEqualTo("no certificate was presented");
    }

    @Test
    void untrustedExpiredAndSelfSignedCertificatesAreNot() {
        PeerCertificates pc = new PeerCertificates(Set.of(new TrustAnchor(CA, null)));
        assertThat(pc.problem(List.of(leaf("CN=x", OTHER_CA, OTHER_CA_KEYS, 30, dns("beta.test"))), "beta.test")).startsWith("the certificate does not validate");
        assertThat(pc.problem(List.of(leaf("CN=x", CA, CA_KEYS, -1, dns("beta.test"))), "beta.test")).startsWith("the certificate does not validate");
        X509Certificate self = ca("CN=beta.test", LEAF_KEYS);
        assertThat(pc.problem(List.of(self), "beta.test")).startsWith("the certificate does not validate");
        assertThat(new PeerCertificates(Set.of()).problem(List.of(self), "beta.test")).startsWith("no certificate authority is trusted");
    }

    @Test
    void wildcardsMatchOneLeftMostLabelOnly() {
        X509Certificate leaf = leaf("CN=x", CA, CA_KEYS, 30, dns("*.example.test"));
        assertThat(PeerCertificates.matches(leaf, "chat.example.test")).isTrue();
        assertThat(PeerCertificates.matches(leaf, "example.test")).isFalse();
        assertThat(PeerCertificates.matches(leaf, "a.chat.example.test")).isFalse();
        assertThat(PeerCertificates.dnsMatches("ch*.example.test", "chat.example.test")).isFalse();
    }

    @Test
    void xmppAddrAndSrvIdNamesCountAndCnOnlyWithoutThem() {
        X509Certificate xmpp = leaf("CN=other.test", CA, CA_KEYS, 30, other(PeerCertificates.XMPP_ADDR, new DERUTF8String("beta.test")));
        assertThat(PeerCertificates.matches(xmpp, "beta.test")).isTrue();
        assertThat(PeerCertificates.matches(xmpp, "other.test")).as("a CN does not count beside a SAN").isFalse();
        assertThat(PeerCertificates.names(xmpp)).isEqualTo("xmpp:beta.test");
        X509Certificate srv = leaf("CN=x", CA, CA_KEYS, 30, other(PeerCertificates.DNS_SRV, new DERIA5String("_xmpp-server.beta.test")));
        assertThat(PeerCertificates.matches(srv, "beta.test")).isTrue();
        X509Certificate cnOnly = leaf("CN=Beta.Test", CA, CA_KEYS, 30);
        assertThat(PeerCertificates.matches(cnOnly, "beta.test")).isTrue();
        assertThat(PeerCertificates.names(cnOnly)).isEqualTo("CN=Beta.Test");
    }

    @Test
    void aTrustStoreFileOfPemCertificatesIsLoaded(@TempDir Path dir) throws Exception {
        Path pem = dir.resolve("ca.pem");
        Files.writeString(pem, "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(CA.getEncoded())
                + "\n-----END CERTIFICATE-----\n");
        PeerCertificates pc = PeerCertificates.load(false, pem);
        assertThat(pc.problem(List.of(leaf("CN=x", CA, CA_KEYS, 30, dns("beta.test"))), "beta.test")).isNull();
        assertThat(PeerCertificates.load(false, dir).problem(List.of(leaf("CN=x", CA, CA_KEYS, 30, dns("beta.test"))), "beta.test")).isNull();
        // the system's authorities do not know the test authority
        assertThat(PeerCertificates.load(true, null).problem(List.of(leaf("CN=x", CA, CA_KEYS, 30, dns("beta.test"))), "beta.test"))
                .startsWith("the certificate does not validate");
    }

    // --- a test authority -------------------------------------------------------------------------

    private static GeneralName dns(String name) {
        return new GeneralName(GeneralName.dNSName, name);
    }

    private static GeneralName other(String oid, org.bouncycastle.asn1.ASN1Encodable value) {
        ASN1EncodableVector v = new ASN1EncodableVector();
        v.add(new ASN1ObjectIdentifier(oid));
        v.add(new DERTaggedObject(true, 0, value));
        return new GeneralName(GeneralName.otherName, new DERSequence(v));
    }

    private static KeyPair keys() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(256);
            return g.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static X509Certificate ca(String subject, KeyPair keys) {
        try {
            var b = new JcaX509v3CertificateBuilder(new X500Name(subject), BigInteger.valueOf(SERIAL.getAndIncrement()), Date.from(Instant.now().minusSeconds(60)),
                    Date.from(Instant.now().plus(Duration.ofDays(30))), new X500Name(subject), keys.getPublic());
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A leaf certificate valid for {@code days} (negative: expired) signed by {@code issuer}. */
    private static X509Certificate leaf(String subject, X509Certificate issuer, KeyPair issuerKeys, int days, GeneralName... sans) {
        try {
            Instant from = days < 0 ? Instant.now().minus(Duration.ofDays(10)) : Instant.now().minusSeconds(60);
            Instant to = days < 0 ? Instant.now().minus(Duration.ofDays(1)) : Instant.now().plus(Duration.ofDays(days));
            var b = new JcaX509v3CertificateBuilder(new X500Name(issuer.getSubjectX500Principal().getName()), BigInteger.valueOf(SERIAL.getAndIncrement()),
                    Date.from(from), Date.from(to), new X500Name(subject), LEAF_KEYS.getPublic());
            if (sans.length > 0) b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans));
            return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate())));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
