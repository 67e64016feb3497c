package dev.strata.modules.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.BundleException;

class ModulesTest {

    @Test
    void shortensFelixResolutionErrorsToTheMissingRequirement() {
        String felix = "Unable to resolve org.example.broken [34](R 34.0): missing requirement [org.example.broken [34](R 34.0)] "
                + "osgi.wiring.package; (&(osgi.wiring.package=com.nonexistent.api)(version>=1.0.0)(!(version>=2.0.0))) "
                + "Unresolved requirements: [[org.example.broken [34](R 34.0)] osgi.wiring.package; (&(osgi.wiring.package=com.nonexistent.api))]";
        assertThat(Modules.describe(new BundleException(felix)))
                .isEqualTo("missing package (&(osgi.wiring.package=com.nonexistent.api)(version>=1.0.0)(!(version>=2.0.0)))");
        assertThat(Modules.describe(new BundleException("Unable to resolve x [1](R 1.0): missing requirement [x [1](R 1.0)] osgi.ee; "
                + "(&(osgi.ee=JavaSE)(version=99)) Unresolved requirements: []"))).isEqualTo("needs another Java version (&(osgi.ee=JavaSE)(version=99))");
        assertThat(Modules.describe(new BundleException("Activator start error\nstack"))).isEqualTo("Activator start error");
    }

    @Test
    void tablesAlignColumns() {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"ID", "MODULE", "STATE"});
        rows.add(new String[] {"10", "ssh-console", "ACTIVE"});
        assertThat(ModuleCommands.table(rows)).isEqualTo("ID  MODULE       STATE\n10  ssh-console  ACTIVE");
    }

    @Test
    void tailReadsTheLastLinesAcrossBlocks(@TempDir Path dir) throws IOException {
        Path log = dir.resolve("strata.log");
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i <= 5000; i++) sb.append("line ").append(i).append(" é\n");
        Files.writeString(log, sb);
        assertThat(LogCommands.lastLines(log, 3)).containsExactly("line 4998 é", "line 4999 é", "line 5000 é");
        assertThat(LogCommands.lastLines(log, 5000)).hasSize(5000).first().isEqualTo("line 1 é");
        Files.writeString(log, "only\nno newline at end");
        assertThat(LogCommands.lastLines(log, 10)).containsExactly("only", "no newline at end");
    }

    @Test
    void resolvesMavenCoordinatesInTheLocalRepository() {
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> MavenLocal.resolve("mvn:a/b")))
                .hasMessageContaining("Expected mvn:group/artifact/version");
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> MavenLocal.resolve("mvn:org.nowhere/none/1.0")))
                .hasMessageContaining("org/nowhere/none/1.0/none-1.0.jar");
    }
}
