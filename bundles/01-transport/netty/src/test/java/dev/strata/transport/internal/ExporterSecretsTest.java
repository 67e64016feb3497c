package dev.strata.transport.internal;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;

import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.TrustManagerFactory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCountUtil;

/**
 * The tls-exporter binding the server derives on BoringSSL must be the one a TLS 1.3 client
 * derives (here the JDK's, through its own exporter API), for both hash families, or SCRAM-PLUS
 * fails for every client.
 */
class ExporterSecretsTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"})
    void theServersBindingIsTheClients(String suite) throws Exception {
        assertThat(OpenSsl.isAvailable()).as("BoringSSL loads: %s", OpenSsl.unavailabilityCause()).isTrue();
        Certificates.generateSelfSigned(dir, "localhost");
        ExporterSecrets secrets = new ExporterSecrets();
        SslContext server = SslContextBuilder.forServer(Certificates.certFile(dir, "localhost").toFile(), Certificates.keyFile(dir, "localhost").toFile())
                .sslProvider(SslProvider.OPENSSL_REFCNT).protocols("TLSv1.3").build();
        assertThat(secrets.attach(server)).isTrue();
        SSLEngine serverEngine = server.newEngine(ByteBufAllocator.DEFAULT);
        SSLEngine client = clientContext().createSSLEngine("localhost", 5222);
        client.setUseClientMode(true);
        client.setEnabledProtocols(new String[] {"TLSv1.3"});
        client.setEnabledCipherSuites(new String[] {suite});
        try {
            handshake(client, serverEngine);
            assertThat(serverEngine.getSession().getCipherSuite()).isEqualTo(suite);
            byte[] expected = ((ExtendedSSLSession) client.getSession()).exportKeyingMaterialData("EXPORTER-Channel-Binding", null, 32);

            assertThat(secrets.take(serverEngine)).hasValueSatisfying(b -> assertThat(b).hasSize(32).isEqualTo(expected));
            assertThat(secrets.pending()).as("taken, not kept").isZero();
            assertThat(secrets.take(serverEngine)).as("once").isEmpty();
        } finally {
            ReferenceCountUtil.release(serverEngine);
            ReferenceCountUtil.release(server);
        }
    }

    @Test
    void onTheJdksEngineTheBindingComesFromItsOwnExporter() throws Exception {
        Certificates.generateSelfSigned(dir, "localhost");
        SslContext server = SslContextBuilder.forServer(Certificates.certFile(dir, "localhost").toFile(), Certificates.keyFile(dir, "localhost").toFile())
                .sslProvider(SslProvider.JDK).protocols("TLSv1.3").build();
        SSLEngine serverEngine = server.newEngine(ByteBufAllocator.DEFAULT);
        SSLEngine client = clientContext().createSSLEngine("localhost", 5222);
        client.setUseClientMode(true);
        handshake(client, serverEngine);
        byte[] expected = ((ExtendedSSLSession) client.getSession()).exportKeyingMaterialData("EXPORTER-Channel-Binding", null, 32);

        assertThat(new ExporterSecrets().take(serverEngine)).hasValueSatisfying(b -> assertThat(b).isEqualTo(expected));
    }

    @Test
    void onlyWellFormedExporterSecretLinesAreKept() {
        ExporterSecrets secrets = new ExporterSecrets();
        secrets.handle(0, "CLIENT_TRAFFIC_SECRET_0 00aa 0011".getBytes(US_ASCII));
        secrets.handle(0, "EXPORTER_SECRET 00aa".getBytes(US_ASCII));
        secrets.handle(0, "EXPORTER_SECRET 00aa not-hex".getBytes(US_ASCII));
        assertThat(secrets.pending()).isZero();
        secrets.handle(0, "EXPORTER_SECRET 00aa 0011\n".getBytes(US_ASCII));
        assertThat(secrets.pending()).isOne();
    }

    private SSLContext clientContext() throws Exception {
        X509Certificate cert;
        try (var in = Files.newInputStream(Certificates.certFile(dir, "localhost"))) {
            cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        trust.setCertificateEntry("server", cert);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLSv1.3");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    /** Runs both engines against each other in memory until both are done. */
    private static void handshake(SSLEngine client, SSLEngine server) throws Exception {
        ByteBuffer c2s = ByteBuffer.allocate(1 << 16), s2c = ByteBuffer.allocate(1 << 16);
        ByteBuffer empty = ByteBuffer.allocate(0), sink = ByteBuffer.allocate(1 << 16);
        client.beginHandshake();
        server.beginHandshake();
        for (int round = 0; round < 100; round++) {
            for (SSLEngine e : List.of(client, server)) {
                ByteBuffer out = e == client ? c2s : s2c;
                ByteBuffer in = e == client ? s2c : c2s;
                e.wrap(empty, out);
                in.flip();
                if (in.hasRemaining()) e.unwrap(in, sink);
                in.compact();
                sink.clear();
                Runnable task;
                while ((task = e.getDelegatedTask()) != null) task.run();
            }
            if (done(client) && done(server) && c2s.position() == 0 && s2c.position() == 0) return;
        }
        throw new AssertionError("handshake did not finish: " + client.getHandshakeStatus() + " / " + server.getHandshakeStatus());
    }

    private static boolean done(SSLEngine e) {
        HandshakeStatus s = e.getHandshakeStatus();
        return s == HandshakeStatus.NOT_HANDSHAKING || s == HandshakeStatus.FINISHED;
    }
}
