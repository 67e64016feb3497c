package dev.strata.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The README's table of supported specifications cannot drift from the bundles: every bundle
 * folder named after a spec (xep-NNNN-*, rfc-NNNN-*) has a row, and every bundle a row names exists.
 */
class ReadmeSpecsIT {
    private static final Path ROOT = Path.of("../..").toAbsolutePath().normalize();

    @Test
    void everySpecBundleIsListedAndEveryListedBundleExists() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        List<String> specBundles = new ArrayList<>();
        try (Stream<Path> s = Files.walk(ROOT.resolve("bundles"), 2)) {
            s.filter(p -> p.getFileName().toString().matches("(xep|rfc)-\\d{4}-.+") && Files.exists(p.resolve("pom.xml")))
                    .forEach(p -> specBundles.add(ROOT.resolve("bundles").relativize(p).toString()));
        }
        assertThat(specBundles).hasSizeGreaterThan(5);
        for (String b : specBundles) {
            String spec = b.substring(b.indexOf('/') + 1, b.indexOf('-', b.indexOf('-') + 1)).toUpperCase().replace("RFC-", "RFC ");
            assertThat(readme).as("README row for %s", b).contains("`" + b + "`").contains(spec);
        }
        Matcher m = Pattern.compile("`(\\d\\d-[a-z]+/[a-z0-9-]+)`").matcher(readme);
        while (m.find()) {
            assertThat(ROOT.resolve("bundles").resolve(m.group(1)).resolve("pom.xml")).as("bundle named in the README").exists();
        }
    }
}
