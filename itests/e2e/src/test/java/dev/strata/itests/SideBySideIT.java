package dev.strata.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.strata.itests.StrataServer.Result;

/** Servers with their own STRATA_*_PORT and STRATA_DATA_PATH run side by side from one distribution. */
class SideBySideIT {

    @Test
    void twoServersFromOneDistributionDoNotInterfere() throws Exception {
        try (StrataServer a = StrataServer.startFresh("side-by-side")) {
            Path dataB = a.home.resolve("data-b");
            try (StrataServer b = StrataServer.start(a.home, dataB, Map.of())) {
                assertThat(a.sshPort).isNotEqualTo(b.sshPort);
                for (StrataServer s : new StrataServer[] {a, b}) {
                    Result r = s.ssh("module:list");
                    assertThat(r.exit()).as("%s", r).isZero();
                    assertThat(r.out()).contains("ssh-console");
                    assertThat(s.strata(Map.of(), "status").exit()).isZero();
                }
                assertThat(Files.readString(a.data.resolve("ssh/host_key"))).isNotEqualTo(Files.readString(dataB.resolve("ssh/host_key")));
                assertThat(dataB.resolve("cache")).isDirectory();
                assertThat(dataB.resolve("logs/strata.log")).exists();

                // a module unloaded on one server stays loaded on the other (separate framework state)
                assertThat(a.ssh("module:unload xep-0199-ping").exit()).isZero();
                assertThat(b.ssh("module:list").out()).containsPattern("xep-0199-ping\\s+\\S+\\s+ACTIVE");
                assertThat(a.ssh("module:load ping").exit()).isZero();

                a.stop();
                assertThat(a.strata(Map.of(), "status").exit()).isEqualTo(3);
                assertThat(b.ssh("module:list").exit()).isZero();
            }
        }
    }

    @Test
    void settingsComeFromTheDotEnvFile() throws Exception {
        try (StrataServer s = StrataServer.startWithDotEnv("dotenv", "export STRATA_DOMAIN=\"example.org\"\n\nSTRATA_ENV = production\n")) {
            Result domains = s.ssh("config:get strata");
            assertThat(domains.exit()).as("%s", domains).isZero();
            assertThat(domains.out()).contains("strata domains = example.org", "strata environment = production");
            assertThat(s.ssh("config:get strata.console.ssh idle.timeout").out()).contains("idle.timeout = 900", "environments/production.cfg");
            assertThat(s.data.resolve("ssh/host_key")).as("the data folder from .env").exists();
        }
    }

    @Test
    void aPortInUseIsReportedAndTheServerKeepsRunning() throws Exception {
        try (StrataServer a = StrataServer.startFresh("port-in-use")) {
            try (StrataServer b = StrataServer.start(a.home, a.home.resolve("data-b"), a.sshPort, Map.of())) {
                StrataServer.await(java.time.Duration.ofSeconds(20), "the SSH console's failure in b's log",
                        () -> b.log().contains("SSH console cannot listen on 127.0.0.1:" + a.sshPort + ": Address already in use"));
                assertThat(b.isAlive()).isTrue();
                assertThat(b.strata(Map.of(), "status").exit()).isZero();
                assertThat(a.ssh("module:list").exit()).isZero();
            }
        }
    }

    @Test
    void anUnloadedModuleStaysUnloadedAcrossARestart() throws Exception {
        try (StrataServer s = StrataServer.startFresh("restart")) {
            assertThat(s.ssh("module:unload xep-0199-ping").exit()).isZero();
            s.stop();
            s.start();
            assertThat(s.ssh("module:list").out()).containsPattern("xep-0199-ping\\s+\\S+\\s+STOPPED");
            assertThat(s.ssh("module:load xep-0199-ping").exit()).isZero();
            assertThat(s.ssh("module:list").out()).containsPattern("xep-0199-ping\\s+\\S+\\s+ACTIVE");
        }
    }
}
