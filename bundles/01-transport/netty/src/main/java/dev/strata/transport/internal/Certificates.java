package dev.strata.transport.internal;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.Locale;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** PEM certificate files per domain, and self-signed ones for domains that have none. */
final class Certificates {
    private static final SecureRandom RANDOM = new SecureRandom();

    private Certificates() {
    }

    /**
     * The key types a domain may have a certificate for: its main pair, {@code <domain>.crt} and
     * {@code <domain>.key} (any key type; generated with an EC key), and a second pair for clients
     * that cannot use the first, {@code <domain>.rsa.crt} and {@code <domain>.rsa.key} (an RSA key).
     */
    enum Kind {
        MAIN("", "EC", "SHA256withECDSA"), RSA(".rsa", "RSA", "SHA256withRSA");

        private final String suffix;
        private final String keyAlgorithm;
        private final String signature;

        Kind(String suffix, String keyAlgorithm, String signature) {
            this.suffix = suffix;
            this.keyAlgorithm = keyAlgorithm;
            this.signature = signature;
        }
    }

    static Path certFile(Path dir, String domain) {
        return certFile(dir, domain, Kind.MAIN);
    }

    static Path keyFile(Path dir, String domain) {
        return keyFile(dir, domain, Kind.MAIN);
    }

    static Path certFile(Path dir, String domain, Kind kind) {
        return dir.resolve(domain + kind.suffix + ".crt");
    }

    static Path keyFile(Path dir, String domain, Kind kind) {
        return dir.resolve(domain + kind.suffix + ".key");
    }

    /** True when the certificate names itself as its issuer and its own key verifies it (the ones generated here, and any other self-signed one). */
    static boolean isSelfSigned(X509Certificate cert) {
        if (!cert.getIssuerX500Principal().equals(cert.getSubjectX500Principal())) return false;
        try {
            cert.verify(cert.getPublicKey());
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    static void generateSelfSigned(Path dir, String domain) throws IOException, GeneralSecurityException {
        generateSelfSigned(dir, domain, Kind.MAIN);
    }

    /**
     * Writes a self-signed certificate (MAIN: EC P-256 with SHA256withECDSA; RSA: 2048-bit RSA with
     * SHA256withRSA; one year) whose subject alternative name is the domain, and its PKCS#8 key
     * (readable by the owner only).
     */
    static void generateSelfSigned(Path dir, String domain, Kind kind) throws IOException, GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance(kind.keyAlgorithm);
        if (kind == Kind.RSA) g.initialize(2048, RANDOM);
        else g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        KeyPair kp = g.generateKeyPair();
        X500Name name = new X500Name("CN=" + domain);
        Instant now = Instant.now();
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, new BigInteger(64, RANDOM).abs(),
                Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(365))), name, kp.getPublic());
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName(GeneralName.dNSName, domain)));
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        // RSA: keyEncipherment too, which TLS 1.2 clients of the RSA key exchange would check (ECDHE needs only signatures)
        b.addExtension(Extension.keyUsage, true, new KeyUsage(kind == Kind.RSA ? KeyUsage.digitalSignature | KeyUsage.keyEncipherment : KeyUsage.digitalSignature));
        b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth}));
        X509Certificate cert;
        try {
            cert = new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder(kind.signature).build(kp.getPrivate())));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
        Files.createDirectories(dir);
        Path key = keyFile(dir, domain, kind);
        Path tmpKey = Files.createTempFile(dir, "." + domain, ".key", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmpKey, pem("PRIVATE KEY", kp.getPrivate().getEncoded()));
        Files.move(tmpKey, key, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Path crt = certFile(dir, domain, kind);
        Path tmpCrt = Files.createTempFile(dir, "." + domain, ".crt");
        Files.writeString(tmpCrt, pem("CERTIFICATE", cert.getEncoded()));
        Files.move(tmpCrt, crt, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    /**
     * RFC 5929 §4.1: the hash of the certificate for tls-server-end-point: the hash of its
     * signature algorithm, SHA-256 when that is MD5 or SHA-1.
     */
    static byte[] endPointHash(X509Certificate cert) throws GeneralSecurityException {
        String alg = cert.getSigAlgName().toUpperCase(Locale.ROOT);
        String hash = "SHA-256";
        if (alg.startsWith("SHA384")) hash = "SHA-384";
        else if (alg.startsWith("SHA512")) hash = "SHA-512";
        return MessageDigest.getInstance(hash).digest(cert.getEncoded());
    }
}
