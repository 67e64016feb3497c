package dev.strata.servlets.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class ServletBridgeTest {
    @Test
    void takesTheLoopbackHttpEndpointOfTheWhiteboard() {
        assertThat(ServletBridge.loopbackEndpoint("http://127.0.0.1:40569/")).isEqualTo(URI.create("http://127.0.0.1:40569/"));
        assertThat(ServletBridge.loopbackEndpoint(new String[] {"https://127.0.0.1:8443/", "http://10.1.2.3:8080/", "http://[::1]:9000"}))
                .isEqualTo(URI.create("http://[::1]:9000/"));
        assertThat(ServletBridge.loopbackEndpoint(List.of("http://localhost:9001/ctx/"))).isEqualTo(URI.create("http://localhost:9001/"));
        assertThat(ServletBridge.loopbackEndpoint("http://192.0.2.7:8080/")).as("never a non-loopback Jetty").isNull();
        assertThat(ServletBridge.loopbackEndpoint("http://127.0.0.1/")).as("no port").isNull();
        assertThat(ServletBridge.loopbackEndpoint(null)).isNull();
    }

    @Test
    void passesOnEndToEndHeadersOnly() {
        List<Map.Entry<String, String>> in = List.of(Map.entry("Host", "chat.example.org"), Map.entry("Accept", "text/html"),
                Map.entry("Connection", "keep-alive, X-Private"), Map.entry("X-Private", "hop"), Map.entry("Cookie", "a=1"),
                Map.entry("Transfer-Encoding", "chunked"), Map.entry("Content-Length", "12"), Map.entry("Expect", "100-continue"),
                Map.entry("X-Forwarded-For", "10.0.0.1"), Map.entry("forwarded", "for=10.0.0.1"), Map.entry("X-Strata-Bridge", "guess"),
                Map.entry("Upgrade", "websocket"), Map.entry("Cookie", "b=2"), Map.entry("User-Agent", "curl"));
        assertThat(ServletBridge.forwarded(in)).containsExactly(Map.entry("Accept", "text/html"), Map.entry("Cookie", "a=1"),
                Map.entry("Cookie", "b=2"), Map.entry("User-Agent", "curl"));
    }

    @Test
    void returnsTheAnswersHeadersWithAllTheirValuesButNotItsFraming() {
        Map<String, List<String>> in = new LinkedHashMap<>();
        in.put(":status", List.of("200"));
        in.put("content-type", List.of("text/html"));
        in.put("set-cookie", List.of("a=1; HttpOnly", "b=2; Secure"));
        in.put("content-length", List.of("42"));
        in.put("transfer-encoding", List.of("chunked"));
        in.put("Connection", List.of("close"));
        assertThat(ServletBridge.returned(in)).containsExactly(Map.entry("content-type", List.of("text/html")),
                Map.entry("set-cookie", List.of("a=1; HttpOnly", "b=2; Secure")));
    }

    @Test
    void onlyItsOwnSecretOpensTheWhiteboard() {
        ServletBridge a = new ServletBridge(), b = new ServletBridge();
        try {
            assertThat(a.fromBridge(a.secret)).isTrue();
            assertThat(a.secret).hasSizeGreaterThanOrEqualTo(43).isNotEqualTo(b.secret);
            assertThat(a.fromBridge(b.secret)).isFalse();
            assertThat(a.fromBridge("")).isFalse();
            assertThat(a.fromBridge(null)).isFalse();
        } finally {
            a.deactivate();
            b.deactivate();
        }
    }
}
