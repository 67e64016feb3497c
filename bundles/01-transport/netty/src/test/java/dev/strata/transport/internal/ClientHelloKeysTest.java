package dev.strata.transport.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

import org.junit.jupiter.api.Test;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/** The key types read from ClientHellos the JDK's TLS client writes with various settings. */
class ClientHelloKeysTest {

    @Test
    void aDefaultClientTakesEither() throws Exception {
        assertThat(keys(null, null, null)).isEqualTo(new ClientHelloKeys(true, true));
    }

    @Test
    void aTls13ClientWithRsaSchemesOnlyGetsRsa() throws Exception {
        ClientHelloKeys k = keys(new String[] {"TLSv1.3"}, null, new String[] {"rsa_pss_rsae_sha256", "rsa_pkcs1_sha256"});
        assertThat(k.accepts("RSA")).isTrue();
        assertThat(k.accepts("EC")).isFalse();
    }

    @Test
    void aTls13ClientWithEcdsaSchemesOnlyGetsEc() throws Exception {
        ClientHelloKeys k = keys(new String[] {"TLSv1.3"}, null, new String[] {"ecdsa_secp256r1_sha256"});
        assertThat(k).isEqualTo(new ClientHelloKeys(true, false));
    }

    @Test
    void rsaPkcs1IsNotEnoughForTls13() throws Exception {
        // TLS 1.3 signs with RSA-PSS only (RFC 8446 §4.4.3): a 1.3-only client without PSS cannot use an RSA key
        ClientHelloKeys k = keys(new String[] {"TLSv1.3"}, null, new String[] {"ecdsa_secp256r1_sha256", "rsa_pkcs1_sha256"});
        assertThat(k).isEqualTo(new ClientHelloKeys(true, false));
    }

    @Test
    void aTls12ClientTakesWhatItsSuitesAuthenticate() throws Exception {
        assertThat(keys(new String[] {"TLSv1.2"}, new String[] {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"}, null))
                .isEqualTo(new ClientHelloKeys(false, true));
        assertThat(keys(new String[] {"TLSv1.2"}, new String[] {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"}, null))
                .isEqualTo(new ClientHelloKeys(true, false));
        // an ECDSA suite without an ECDSA scheme: nothing fits EC
        assertThat(keys(new String[] {"TLSv1.2"}, new String[] {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
                new String[] {"rsa_pkcs1_sha256"})).isEqualTo(new ClientHelloKeys(false, true));
    }

    @Test
    void whatCannotBeReadTakesEither() {
        assertThat(ClientHelloKeys.of(Unpooled.wrappedBuffer(new byte[] {3, 3, 1, 2}))).isEqualTo(ClientHelloKeys.ANY);
        assertThat(ClientHelloKeys.of(Unpooled.buffer())).isEqualTo(ClientHelloKeys.ANY);
        byte[] junk = new byte[300];
        for (int i = 0; i < junk.length; i++) junk[i] = (byte) (i * 37);
        assertThat(ClientHelloKeys.of(Unpooled.wrappedBuffer(junk))).isNotNull();
    }

    @Test
    void theReaderIndexStays() throws Exception {
        ByteBuf hello = hello(null, null, null);
        int before = hello.readerIndex();
        ClientHelloKeys.of(hello);
        assertThat(hello.readerIndex()).isEqualTo(before);
    }

    private static ClientHelloKeys keys(String[] protocols, String[] suites, String[] schemes) throws Exception {
        return ClientHelloKeys.of(hello(protocols, suites, schemes));
    }

    /** The body of the ClientHello the JDK's client writes first (record and handshake headers stripped, as netty hands it over). */
    private static ByteBuf hello(String[] protocols, String[] suites, String[] schemes) throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, null, null);
        SSLEngine engine = ctx.createSSLEngine("localhost", 5222);
        engine.setUseClientMode(true);
        SSLParameters p = engine.getSSLParameters();
        if (protocols != null) p.setProtocols(protocols);
        if (suites != null) p.setCipherSuites(suites);
        if (schemes != null) p.setSignatureSchemes(schemes);
        engine.setSSLParameters(p);
        ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        engine.wrap(ByteBuffer.allocate(0), out);
        out.flip();
        assertThat(out.get(0)).as("a handshake record").isEqualTo((byte) 22);
        assertThat(out.get(5)).as("a ClientHello").isEqualTo((byte) 1);
        int length = ((out.get(6) & 0xff) << 16) | ((out.get(7) & 0xff) << 8) | (out.get(8) & 0xff);
        byte[] body = new byte[length];
        out.position(9);
        out.get(body);
        return Unpooled.wrappedBuffer(body);
    }
}
