package dev.strata.itests;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A certificate authority made by a test, with server certificates for test domains in PEM
 * ({@code <domain>.crt}, {@code <domain>.key}, as Strata's TLS manager and Prosody read them), and
 * self-signed ones that no authority vouches for
 * (and each key in OpenSSL's traditional form too, {@code <domain>.rsa.key}).
 */
final class TestPki {
    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());
    private final KeyPair caKeys = keys("EC", 256);
    private final X509Certificate ca;
    final Path dir;

    TestPki(Path dir) throws Exception {
        this.dir = Files.createDirectories(dir);
        X500Name name = new X500Name("CN=Strata Federation Test CA");
        var b = new JcaX509v3CertificateBuilder(name, serial(), Date.from(Instant.now().minusSeconds(3600)), Date.from(Instant.now().plus(Duration.ofDays(2))),
                name, caKeys.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        ca = new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(caKeys.getPrivate())));
        write(caFile(), ca);
    }

    /** The authority's certificate, PEM. */
    Path caFile() {
        return dir.resolve("ca.pem");
    }

    /** A server certificate for {@code domain} signed by the authority (DNS-ID, server and client use), in {@code into}. */
    void issue(String domain, Path into) throws Exception {
        make(domain, into, false);
    }

    /** A self-signed certificate for {@code domain}: right name, no authority. */
    void selfSigned(String domain, Path into) throws Exception {
        make(domain, into, true);
    }

    private void make(String domain, Path into, boolean self) throws Exception {
        KeyPair keys = keys("RSA", 2048); // RSA: its private key carries its public half, which ejabberd's fast_tls matches certificates by
        X500Name subject = new X500Name("CN=" + domain);
        var b = new JcaX509v3CertificateBuilder(self ? subject : new X500Name(ca.getSubjectX500Principal().getName()), serial(),
                Date.from(Instant.now().minusSeconds(3600)), Date.from(Instant.now().plus(Duration.ofDays(1))), subject, keys.getPublic());
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName(GeneralName.dNSName, domain)));
        b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
        X509Certificate cert = new JcaX509CertificateConverter()
                .getCertificate(b.build(new JcaContentSignerBuilder(self ? "SHA256withRSA" : "SHA256withECDSA").build(self ? keys.getPrivate() : caKeys.getPrivate())));
        Files.createDirectories(into);
        write(into.resolve(domain + ".crt"), cert);
        write(into.resolve(domain + ".key"), new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(keys.getPrivate(), null));
        // OpenSSL's traditional form ("RSA PRIVATE KEY"), for servers that do not read PKCS #8 (ejabberd's fast_tls)
        write(into.resolve(domain + ".rsa.key"), keys.getPrivate());
    }

    private static void write(Path file, Object pem) throws IOException {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            w.writeObject(pem);
        }
        Files.writeString(file, out.toString());
    }

    private static BigInteger serial() {
        return BigInteger.valueOf(SERIAL.incrementAndGet());
    }

    private static KeyPair keys(String algorithm, int size) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance(algorithm);
            g.initialize(size);
            return g.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
