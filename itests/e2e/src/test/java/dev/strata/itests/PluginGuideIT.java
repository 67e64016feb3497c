package dev.strata.itests;

import static dev.strata.itests.StrataServer.awaitValue;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.strata.itests.StrataServer.Result;

/**
 * A plugin author follows {@code plugins/README.md}: the commands of its "Build it" section, run
 * as written from the repository root, build the example against the published api jar, and the
 * jar they make hot-deploys into a running server.
 */
class PluginGuideIT {
    private static final Path ROOT = StrataServer.REPOSITORY;

    @Test
    void theGuidesBuildCommandsMakeAPluginThatHotDeploys() throws Exception {
        List<String> commands = new ArrayList<>();
        boolean inBuild = false, inBlock = false;
        for (String line : Files.readAllLines(ROOT.resolve("plugins/README.md"))) {
            if (line.startsWith("## ")) inBuild = line.equals("## Build it");
            else if (inBuild && line.startsWith("```")) inBlock = !inBlock;
            else if (inBuild && inBlock && line.startsWith("./mvnw ")) commands.add(line.replaceAll("\\s+#.*$", ""));
        }
        assertThat(commands).as("the guide's build commands").hasSizeGreaterThanOrEqualTo(2);
        for (String c : commands) {
            Result r = StrataServer.run(List.of("bash", "-c", "cd " + ROOT + " && " + c), Map.of(), Duration.ofMinutes(5));
            assertThat(r.exit()).as("%s: %s", c, r).isZero();
        }
        Path jar = ROOT.resolve("plugins/motd-example/target/motd-1.0.0.jar");
        assertThat(jar).exists();
        assertThat(Path.of(System.getProperty("user.home"), ".m2/repository/dev/strata/strata-api/0.1.0-SNAPSHOT")).isDirectoryContaining(
                p -> p.getFileName().toString().endsWith("-sources.jar")).isDirectoryContaining(p -> p.getFileName().toString().endsWith("-javadoc.jar"));
        Path home = StrataServer.freshHome("plugin-guide-it");
        try (StrataServer s = StrataServer.start(home, home.resolve("data"), Map.of())) {
            Files.copy(jar, home.resolve("plugins/.motd.part"));
            Files.move(home.resolve("plugins/.motd.part"), home.resolve("plugins/motd-1.0.0.jar"));
            awaitValue(Duration.ofSeconds(10), "motd ACTIVE", () -> s.ssh("module:list").out(), l -> l.lines().anyMatch(x -> x.matches("\\S+\\s+motd\\s.*ACTIVE.*")));
            assertThat(s.ssh("motd:show").out().strip()).isEqualTo("Welcome to Strata.");
        }
    }
}
