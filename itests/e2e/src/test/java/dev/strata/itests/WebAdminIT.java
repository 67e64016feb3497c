package dev.strata.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The web admin at {@code /admin/} on the assembled runtime, driven in headless Chromium as an
 * operator uses it (log in, add a user, unload and load a module, read a setting with its file), and
 * the attacks it must refuse: no session, a wrong password, an account that is not an
 * administrator, a change without the CSRF token or from another site.
 */
class WebAdminIT {
    private static final Path JS = Path.of("src/test/js").toAbsolutePath();
    private static StrataServer server;
    private static HttpClient http;

    @BeforeAll
    static void start() throws Exception {
        Path home = StrataServer.freshHome("webadmin-it", "admin", "alice");
        server = StrataServer.start(home, home.resolve("data"), Map.of());
        http = server.httpClient();
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) server.close();
    }

    private static String base() {
        return "https://localhost:" + server.httpsPort + "/admin/";
    }

    @Test
    void anOperatorAddsAUserAndUnloadsAndLoadsAModuleInChromium() {
        assertThat(JS.resolve("node_modules/playwright-core")).as("npm ci --prefix itests/e2e/src/test/js (.ci/run does it)").exists();
        StrataServer.Result r = StrataServer.run(List.of("node", JS.resolve("webadmin_run.mjs").toString(), base(), "admin@localhost", "admin-Pw-1",
                "carol@localhost", "xep-0199-ping", "strata.xep0363"), Map.of(), Duration.ofSeconds(150));
        String out = r.out();
        assertThat(out).as("%s", r).contains("LOGIN-PAGE 401", "DASHBOARD", "COOKIE httpOnly=true secure=true sameSite=Strict", "DONE").doesNotContain("FAILED");
        assertThat(out).containsPattern("ADDED .*carol@localhost").containsPattern("USERS .*carol@localhost");
        assertThat(out).containsPattern("UNLOADED .*xep-0199-ping.*STOPPED").containsPattern("LOADED .*xep-0199-ping.*ACTIVE");
        assertThat(out).containsPattern("CONFIG .*strata\\.xep0363.*strata\\.xep0363\\.cfg");
        assertThat(out).as("the dashboard's figures").containsPattern("FACTS .*Client sessions ?\\d+.*Logins since the metrics module started ?\\d+ succeeded, \\d+ failed")
                .containsPattern("Stanzas per second[^;]*message in \\d+\\.\\d, out \\d+\\.\\d|Stanzas per second ?measuring");
        // the three refusals, and the user is still there
        assertThat(out).contains("NO-CSRF 403", "FOREIGN-ORIGIN 403", "NO-SESSION 401", "STILL true");
        assertThat(server.log()).contains("Web admin: admin@localhost logged in", "Web admin command by admin@localhost: user:add carol@localhost ***",
                "Web admin command by admin@localhost: module:unload xep-0199-ping", "a change by admin@localhost without its CSRF token was refused");
        assertThat(server.ssh("user:list localhost").out()).contains("carol@localhost");
    }

    @Test
    void onlyAdministratorsWithTheirPasswordLogIn() throws Exception {
        assertThat(get(base() + "users").statusCode()).isEqualTo(401);
        assertThat(login("admin@localhost", "wrong").statusCode()).isEqualTo(401);
        assertThat(login("alice@localhost", "alice-Pw-1").statusCode()).as("a user, not an administrator").isEqualTo(401);
        HttpResponse<String> ok = login("admin@localhost", "admin-Pw-1");
        assertThat(ok.statusCode()).isEqualTo(303);
        assertThat(ok.headers().firstValue("Set-Cookie").orElseThrow()).contains("HttpOnly", "Secure", "SameSite=Strict", "Path=/admin");
        assertThat(get("http://127.0.0.1:" + server.httpPort + "/admin").statusCode()).isEqualTo(308);
        assertThat(server.log()).contains("Web admin: failed login from 127.0.0.1 as alice@localhost");
    }

    private static HttpResponse<String> login(String jid, String password) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base() + "login")).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("jid=" + jid + "&password=" + password)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }
}
