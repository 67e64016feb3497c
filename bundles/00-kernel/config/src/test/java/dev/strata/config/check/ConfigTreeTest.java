package dev.strata.config.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.strata.config.check.ConfigTree.Problem;
import dev.strata.config.check.ConfigTree.Target;

/** The layered configuration (README, "Configuration"): layers, ${env:} values, and validation against metatype. */
class ConfigTreeTest {
    private static final String METATYPE = """
            <?xml version="1.0" encoding="UTF-8"?>
            <metatype:MetaData xmlns:metatype="http://www.osgi.org/xmlns/metatype/v1.4.0">
              <OCD id="strata.demo" name="Demo">
                <AD id="port" type="Integer" default="8101" min="0" max="65535"/>
                <AD id="bind" type="String" default="127.0.0.1"/>
                <AD id="mode" type="String" default="a"><Option label="a" value="a"/><Option label="b" value="b"/></AD>
                <AD id="tags" type="String" cardinality="2147483647"/>
                <AD id="on" type="Boolean" default="true"/>
              </OCD>
              <OCD id="strata" name="Server"><AD id="environment" type="String"/><AD id="domains" type="String" cardinality="10"/><AD id="admins" type="String" cardinality="10"/></OCD>
              <Designate pid="strata.demo"><Object ocdref="strata.demo"/></Designate>
              <Designate pid="strata"><Object ocdref="strata"/></Designate>
            </metatype:MetaData>
            """;

    @TempDir
    Path tmp;
    Path root;
    Metatype metatype;

    @BeforeEach
    void setUp() throws IOException {
        root = tmp.resolve("config");
        metatype = new Metatype();
        metatype.add(new ByteArrayInputStream(METATYPE.getBytes(StandardCharsets.UTF_8)), "dev.strata.demo", "07-interfaces");
        write("strata.cfg", "environment = ${env:STRATA_ENV:-development}\ndomains = ${env:STRATA_DOMAIN:-localhost}\n");
        write("stack/07-interfaces/strata.demo.cfg", "# comment\nport = ${env:DEMO_PORT:-8101}\nbind = 127.0.0.1\nmode = a\n");
        write("policies/security.cfg", "[strata.demo]\nbind = ::\nmode = b\n");
        write("environments/development.cfg", "[strata.demo]\nbind = 127.0.0.2\n");
        write("environments/production.cfg", "[strata.demo]\nbind = 0.0.0.0\n");
    }

    private void write(String file, String text) throws IOException {
        Path p = root.resolve(file);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
    }

    private ConfigTree read(Map<String, String> env) throws IOException {
        return ConfigTree.read(root, env::get);
    }

    @Test
    void laterLayersOverrideEarlierOnesAndRememberTheirSource() throws IOException {
        ConfigTree tree = read(Map.of());
        var demo = tree.targets().get(new Target("strata.demo", null));
        assertThat(demo.get("port").value()).isEqualTo("8101");
        assertThat(demo.get("mode").value()).isEqualTo("b");
        assertThat(demo.get("bind").value()).isEqualTo("127.0.0.2");
        assertThat(demo.get("bind").source().toString()).endsWith("environments/development.cfg:2");
        assertThat(Validator.validate(tree, metatype)).isEmpty();
    }

    @Test
    void environmentVariablesFillValuesAndSelectTheEnvironment() throws IOException {
        ConfigTree tree = read(Map.of("STRATA_ENV", "production", "DEMO_PORT", "9999"));
        assertThat(tree.environment()).isEqualTo("production");
        var demo = tree.targets().get(new Target("strata.demo", null));
        assertThat(demo.get("port").value()).isEqualTo("9999");
        assertThat(demo.get("bind").value()).isEqualTo("0.0.0.0");
    }

    @Test
    void anUnsetVariableWithoutDefaultIsAProblem() throws IOException {
        write("stack/07-interfaces/strata.demo.cfg", "port = ${env:NOT_SET}\n");
        assertThat(read(Map.of()).problems()).singleElement().asString()
                .contains("strata.demo.cfg:1").contains("NOT_SET is not set and has no default");
    }

    @Test
    void reportsUnknownKeysWrongTypesBoundsOptionsAndPids() throws IOException {
        write("policies/security.cfg", "[strata.demo]\nmode = c\n");
        write("stack/07-interfaces/strata.demo.cfg", "port = 70000\nbind = x\nmode = a\nnosuch = 1\non = maybe\ntags = a, b\n");
        write("stack/strata.typo.cfg", "a = 1\n");
        List<Problem> problems = Validator.validate(read(Map.of()), metatype);
        assertThat(problems).extracting(Problem::toString).containsExactlyInAnyOrder(
                "config/stack/07-interfaces/strata.demo.cfg:1: [strata.demo] port: 70000 is above the maximum 65535",
                "config/stack/07-interfaces/strata.demo.cfg:4: [strata.demo] nosuch: unknown key; strata.demo accepts: port, bind, mode, tags, on",
                "config/stack/07-interfaces/strata.demo.cfg:5: [strata.demo] on: expected true or false, got 'maybe'",
                "config/policies/security.cfg:2: [strata.demo] mode: 'c' is not one of: a, b",
                "config/stack/07-interfaces/strata.demo.cfg:2: [strata.demo] bind: 'x' is not an IP address: use an address of this machine, 0.0.0.0 or :: for all, or 127.0.0.1")
                .hasSize(5);
        assertThat(Validator.undeclared(read(Map.of()), metatype)).extracting(Problem::toString).containsExactly(
                "config/stack/strata.typo.cfg:1: [strata.typo] no installed module declares the configuration 'strata.typo': kept, and applied when a module that declares it is loaded");
    }

    /** What the server could not use is what strata check refuses: addresses, domains and admin JIDs. */
    @Test
    void addressesNotOfThisMachineAndMalformedDomainsAndAdminsAreProblems() throws IOException {
        write("strata.cfg", "domains = example.org, bad domain, alice@example.org\nadmins = admin@example.org, example.org, a@b/c\n");
        write("stack/07-interfaces/strata.demo.cfg", "bind = 192.0.2.1\n"); // TEST-NET-1: never this machine's
        write("policies/security.cfg", "[strata.demo]\nbind = 127.0.0.9\n");
        write("environments/development.cfg", "[strata.demo]\nbind = 999.1.1.1\n");
        List<String> problems = Validator.validate(read(Map.of()), metatype).stream().map(Problem::toString).toList();
        assertThat(problems).hasSize(4);
        assertThat(problems.get(0)).startsWith("config/strata.cfg:1: [strata] domains: 'bad domain' is not a valid domain");
        assertThat(problems.get(1)).isEqualTo("config/strata.cfg:2: [strata] admins: 'example.org' is not the bare JID of an account: e.g. admin@example.org");
        assertThat(problems.get(2)).isEqualTo("config/stack/07-interfaces/strata.demo.cfg:1: [strata.demo] bind: 192.0.2.1 is not an address of this machine: nothing could listen on it");
        assertThat(problems.get(3)).startsWith("config/environments/development.cfg:2: [strata.demo] bind: '999.1.1.1' is not an IP address");
    }

    @Test
    void aBadValueIsReportedEvenWhereAHigherLayerOverridesIt() throws IOException {
        write("stack/07-interfaces/strata.demo.cfg", "port = -1\n");
        write("environments/development.cfg", "[strata.demo]\nport = 8101\n");
        ConfigTree tree = read(Map.of());
        assertThat(tree.targets().get(new Target("strata.demo", null)).get("port").value()).isEqualTo("8101");
        assertThat(Validator.validate(tree, metatype)).extracting(Problem::toString)
                .containsExactly("config/stack/07-interfaces/strata.demo.cfg:1: [strata.demo] port: -1 is below the minimum 0");
    }

    @Test
    void syntaxErrorsAndKeysOutsideSectionsAreProblems() throws IOException {
        write("policies/security.cfg", "bind = 1\n[strata.demo]\nthis line has no equals\n");
        assertThat(read(Map.of()).problems()).extracting(Problem::toString).containsExactly(
                "config/policies/security.cfg:1: bind: key outside a [pid] section",
                "config/policies/security.cfg:3: expected 'key = value' or '[pid]', found: this line has no equals");
    }

    @Test
    void typedValuesFollowTheAttributeDefinition() {
        Metatype.Ocd ocd = metatype.pids().get("strata.demo");
        assertThat(Validator.typed(ocd.ads().get("port"), "42")).isEqualTo(42);
        assertThat(Validator.typed(ocd.ads().get("on"), "FALSE")).isEqualTo(false);
        assertThat((String[]) Validator.typed(ocd.ads().get("tags"), "a, b ,c")).containsExactly("a", "b", "c");
    }

    @Test
    void domainsAreFactoryConfigurations() throws IOException {
        write("domains/example.com.cfg", "x = 1\n");
        assertThat(read(Map.of()).targets()).containsKey(new Target(ConfigTree.DOMAIN_FACTORY_PID, "example.com"));
    }
}
