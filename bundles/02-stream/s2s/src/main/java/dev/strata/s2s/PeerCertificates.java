package dev.strata.s2s;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import javax.security.auth.x500.X500Principal;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.ASN1TaggedObject;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether another server's certificate is good for its domain (RFC 6120 §13.7.2, RFC 6125): its
 * chain validates (PKIX, RFC 5280: signatures, validity, basic constraints, name constraints) up to
 * an authority of the system's trust store (the JDK's {@code cacerts}) or of the configured one, and
 * one of its identities matches the domain: a DNS-ID ({@code dNSName}, a wildcard only as the whole
 * left-most label), an SRV-ID ({@code _xmpp-server.domain}), an XmppAddr (the domain itself), or,
 * when the certificate has none of these, its subject's CN (RFC 6125's legacy CN-ID). Revocation is
 * not checked (no network calls on a connection's path). No extended key usage is required: other
 * servers' certificates are server certificates used both ways, and many carry only
 * {@code serverAuth}.
 */
final class PeerCertificates {
    private static final Logger LOG = LoggerFactory.getLogger(PeerCertificates.class);
    static final String XMPP_ADDR = "1.3.6.1.5.5.7.8.5", DNS_SRV = "1.3.6.1.5.5.7.8.7";

    private final Set<TrustAnchor> anchors;

    PeerCertificates(Set<TrustAnchor> anchors) {
        this.anchors = Set.copyOf(anchors);
    }

    /** The system's authorities (when {@code system}) and those of {@code store} (a PEM file, or a directory of PEM files; null: none). */
    static PeerCertificates load(boolean system, Path store) throws IOException, GeneralSecurityException {
        Set<TrustAnchor> anchors = new HashSet<>();
        if (system) {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init((KeyStore) null);
            for (var tm : tmf.getTrustManagers()) {
                if (tm instanceof X509TrustManager x) for (X509Certificate c : x.getAcceptedIssuers()) anchors.add(new TrustAnchor(c, null));
            }
        }
        int own = 0;
        if (store != null) {
            List<Path> files;
            if (Files.isDirectory(store)) {
                try (Stream<Path> s = Files.list(store)) {
                    files = s.filter(p -> p.toString().endsWith(".pem") || p.toString().endsWith(".crt")).sorted().toList();
                }
            } else {
                files = List.of(store);
            }
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            for (Path f : files) {
                try (InputStream in = Files.newInputStream(f)) {
                    for (Certificate c : cf.generateCertificates(in)) {
                        anchors.add(new TrustAnchor((X509Certificate) c, null));
                        own++;
                    }
                }
            }
        }
        LOG.info("Other servers' certificates are checked against {} authorities ({} from {})", anchors.size(), own, store == null ? "no store of ours" : store);
        return new PeerCertificates(anchors);
    }

    /** Why {@code chain} (the peer's, leaf first) is not good for {@code domain}; null when it is. */
    String problem(List<X509Certificate> chain, String domain) {
        if (chain.isEmpty()) return "no certificate was presented";
        if (anchors.isEmpty()) return "no certificate authority is trusted (strata.s2s trust.store, system.trust)";
        X509Certificate leaf = chain.getFirst();
        if (!matches(leaf, domain)) return "the certificate is not for " + domain + " (it is for " + names(leaf) + ")";
        List<X509Certificate> path = new ArrayList<>(chain);
        // a root the peer sends along is not part of the path: the anchor stands for it
        while (path.size() > 1 && path.getLast().getSubjectX500Principal().equals(path.getLast().getIssuerX500Principal())) path.removeLast();
        try {
            PKIXParameters params = new PKIXParameters(anchors);
            params.setRevocationEnabled(false);
            CertPathValidator.getInstance("PKIX").validate(CertificateFactory.getInstance("X.509").generateCertPath(path), params);
            return null;
        } catch (CertPathValidatorException e) {
            return "the certificate does not validate: " + (e.getReason() == null ? "" : e.getReason().toString().toLowerCase(Locale.ROOT).replace('_', ' ') + ", ")
                    + e.getMessage();
        } catch (GeneralSecurityException e) {
            return "the certificate cannot be checked: " + e.getMessage();
        }
    }

    /** RFC 6125 §6 with RFC 6120 §13.7.1.2's identifiers for a server. */
    static boolean matches(X509Certificate cert, String domain) {
        String d = domain.toLowerCase(Locale.ROOT);
        List<Identity> ids = identities(cert);
        if (ids == null) return false;
        boolean named = false;
        for (Identity id : ids) {
            String v = id.value().toLowerCase(Locale.ROOT);
            switch (id.kind()) {
                case DNS -> {
                    named = true;
                    if (dnsMatches(v, d)) return true;
                }
                case XMPP -> {
                    named = true;
                    if (v.equals(d)) return true;
                }
                case SRV -> {
                    named = true;
                    if (v.equals("_xmpp-server." + d) || v.equals("_xmpps-server." + d)) return true;
                }
                case OTHER -> { }
            }
        }
        if (named) return false; // a CN counts only where no identifier of these kinds is present
        for (String cn : commonNames(cert.getSubjectX500Principal())) if (cn.toLowerCase(Locale.ROOT).equals(d)) return true;
        return false;
    }

    enum Kind { DNS, XMPP, SRV, OTHER }

    /** One subjectAltName a server certificate may name its domain with; {@code value} of OTHER is "oid:value". */
    record Identity(Kind kind, String value) {
    }

    /** The certificate's dNSName and string otherName entries, in order; null when they cannot be read. */
    static List<Identity> identities(X509Certificate cert) {
        List<Identity> out = new ArrayList<>();
        try {
            var sans = cert.getSubjectAlternativeNames();
            if (sans == null) return out;
            for (List<?> san : sans) {
                int type = (Integer) san.get(0);
                if (type == 2) {
                    out.add(new Identity(Kind.DNS, (String) san.get(1)));
                } else if (type == 0 && san.get(1) instanceof byte[] der) {
                    String[] o = otherName(der);
                    if (o == null) continue;
                    out.add(XMPP_ADDR.equals(o[0]) ? new Identity(Kind.XMPP, o[1]) : DNS_SRV.equals(o[0]) ? new Identity(Kind.SRV, o[1])
                            : new Identity(Kind.OTHER, o[0] + ":" + o[1]));
                }
            }
            return out;
        } catch (CertificateParsingException e) {
            return null;
        }
    }

    /** A wildcard only as the whole left-most label, matching one label ({@code *.example.org} is not {@code example.org}). */
    static boolean dnsMatches(String pattern, String domain) {
        if (pattern.endsWith(".")) pattern = pattern.substring(0, pattern.length() - 1);
        if (pattern.equals(domain)) return true;
        if (!pattern.startsWith("*.")) return false;
        int dot = domain.indexOf('.');
        return dot > 0 && domain.substring(dot + 1).equals(pattern.substring(2));
    }

    /** An otherName's type and its string value (OtherName ::= SEQUENCE { type-id OID, value [0] EXPLICIT ANY }); null when not a string. */
    static String[] otherName(byte[] der) {
        try {
            ASN1Primitive p = ASN1Primitive.fromByteArray(der);
            if (p instanceof ASN1TaggedObject t) p = t.getBaseObject().toASN1Primitive(); // as GeneralName's [0]
            ASN1Sequence seq = ASN1Sequence.getInstance(p);
            String oid = ASN1ObjectIdentifier.getInstance(seq.getObjectAt(0)).getId();
            ASN1Primitive value = seq.getObjectAt(1).toASN1Primitive();
            while (value instanceof ASN1TaggedObject t) value = t.getBaseObject().toASN1Primitive();
            return value instanceof ASN1String s ? new String[] {oid, s.getString()} : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static List<String> commonNames(X500Principal subject) {
        List<String> out = new ArrayList<>();
        for (RDN rdn : X500Name.getInstance(subject.getEncoded()).getRDNs(BCStyle.CN)) out.add(IETFUtils.valueToString(rdn.getFirst().getValue()));
        return out;
    }

    /** The identities of a certificate, for a log line or an error text. */
    static String names(X509Certificate cert) {
        List<String> out = new ArrayList<>();
        List<Identity> ids = identities(cert);
        for (Identity id : ids == null ? List.<Identity>of() : ids) {
            out.add(switch (id.kind()) {
                case DNS, OTHER -> id.value();
                case XMPP -> "xmpp:" + id.value();
                case SRV -> "srv:" + id.value();
            });
        }
        if (out.isEmpty()) out.addAll(commonNames(cert.getSubjectX500Principal()).stream().map(cn -> "CN=" + cn).toList());
        return out.isEmpty() ? "no name" : String.join(", ", out);
    }
}
