package dev.strata.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The README's table of supported specifications cannot drift from the bundles: every bundle
 * folder named after a spec (xep-NNNN-*, rfc-NNNN-*) declares the spec and version it implements
 * in its manifest ({@code Strata-Spec}, as built into the distribution), the README has a row
 * starting with exactly that and naming the bundle, and every bundle a row names exists.
 */
class ReadmeSpecsIT {
    private static final Path ROOT = StrataServer.REPOSITORY;

    @Test
    void everySpecBundleIsListedWithItsVersionAndEveryListedBundleExists() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        List<String> specBundles = new ArrayList<>();
        try (Stream<Path> s = Files.walk(ROOT.resolve("bundles"), 2)) {
            s.filter(p -> p.getFileName().toString().matches("(xep|rfc)-\\d{4}-.+") && Files.exists(p.resolve("pom.xml")))
                    .forEach(p -> specBundles.add(ROOT.resolve("bundles").relativize(p).toString()));
        }
        assertThat(specBundles).hasSizeGreaterThan(10);
        for (String b : specBundles) {
            String spec = manifestSpec(b.substring(b.indexOf('/') + 1));
            assertThat(spec).as("Strata-Spec of %s", b).isNotBlank();
            Pattern row = Pattern.compile("(?m)^\\| " + Pattern.quote(spec) + " \\|.*`" + Pattern.quote(b) + "`.*$");
            assertThat(row.matcher(readme).find()).as("README row '| %s | ... `%s` |'", spec, b).isTrue();
        }
        Matcher m = Pattern.compile("`(\\d\\d-[a-z]+/[a-z0-9-]+)`").matcher(readme);
        while (m.find()) {
            assertThat(ROOT.resolve("bundles").resolve(m.group(1)).resolve("pom.xml")).as("bundle named in the README").exists();
        }
    }

    /** The Strata-Spec header of the module's bundle in the built distribution. */
    private static String manifestSpec(String module) throws IOException {
        try (Stream<Path> jars = Files.list(StrataServer.DIST.resolve("system"))) {
            for (Path jar : jars.filter(p -> p.toString().endsWith(".jar")).toList()) {
                try (JarFile f = new JarFile(jar.toFile())) {
                    var attrs = f.getManifest().getMainAttributes();
                    if (module.equals(attrs.getValue("Strata-Module"))) return attrs.getValue("Strata-Spec");
                }
            }
        }
        throw new AssertionError("No bundle with Strata-Module " + module + " in " + StrataServer.DIST.resolve("system"));
    }
}
