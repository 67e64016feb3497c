package dev.strata.itests;

import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.composite;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.frameworkStartLevel;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.streamBundle;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.ops4j.pax.exam.Option;
import org.osgi.framework.Constants;

import dev.strata.bench.Loopback;
import dev.strata.bench.RawXmppClient;
import dev.strata.itests.osgi.BundleJar;
import dev.strata.launcher.Main;

/**
 * The Pax Exam options that start a Strata server in the test JVM as {@code bin/strata start} does: a home
 * made from the distribution ({@code config/}, {@code features/}, {@code lib/}), the framework properties of
 * {@code lib/framework.properties}, and every jar of {@code system/} at the start level the launcher gives it.
 * What differs: the test picks the ports (loopback only), logs go to the home's {@code logs/strata.log} only,
 * and the bundles' locations are their {@code file:} URLs, not {@code strata:system/NAME} (so
 * {@code module:list} shows their source as "console" and {@code module:reload} updates from that URL).
 * Runs outside the framework, in Pax Exam's {@code @Configuration}; the probe reads what it needs from the
 * system properties set here (one JVM: the native container).
 */
public final class StrataOptions {
    static final Path DIST = StrataServer.DIST;
    static final Path WORK = Path.of(System.getProperty("strata.work", "target/pax-work")).toAbsolutePath().normalize();

    private StrataOptions() {
    }

    /** A fresh home under target/pax-work/NAME and the options that boot it; the client port is in {@code strata.test.c2s.port}, the plain HTTP one in {@code strata.test.http.port}. */
    public static Option server(String name) {
        try {
            Path home = WORK.resolve(name);
            StrataServer.deleteTree(home);
            for (String dir : List.of("config", "features", "lib")) StrataServer.copyTreePlain(DIST.resolve(dir), home.resolve(dir));
            for (String dir : List.of("data", "logs", "plugins")) Files.createDirectories(home.resolve(dir));
            int c2s = Loopback.freePort();
            int ssh = Loopback.freePort();
            Path transport = home.resolve("config/stack/01-transport");
            Files.writeString(transport.resolve("strata.listener~c2s.cfg"), "kind = c2s\nbind = 127.0.0.1\nport = " + c2s + "\n");
            Files.delete(transport.resolve("strata.listener~c2s-tls.cfg"));
            // the HTTP listeners, on loopback and ports of the test's choosing too (the distribution's bind every address on 5280/5281)
            int http = Loopback.freePort(), https = Loopback.freePort();
            Files.writeString(transport.resolve("strata.listener~http.cfg"), "kind = http\nbind = 127.0.0.1\nport = " + http + "\n");
            Files.writeString(transport.resolve("strata.listener~https.cfg"), "kind = http\nbind = 127.0.0.1\nport = " + https + "\ndirect.tls = true\n");
            Files.writeString(transport.resolve("strata.listener~component.cfg"), "kind = component\nbind = 127.0.0.1\nport = " + Loopback.freePort() + "\n");
            Files.writeString(transport.resolve("strata.listener~proxy65.cfg"), "kind = socks5\nbind = 127.0.0.1\nport = " + Loopback.freePort() + "\n");
            Files.writeString(transport.resolve("strata.listener~s2s.cfg"), "kind = s2s\nbind = 127.0.0.1\nport = " + Loopback.freePort() + "\n");
            Files.writeString(transport.resolve("strata.listener~s2s-tls.cfg"), "kind = s2s\nbind = 127.0.0.1\ndirect.tls = true\nport = " + Loopback.freePort() + "\n");
            Files.writeString(home.resolve("config/stack/07-interfaces/strata.console.ssh.cfg"), "port = " + ssh + "\nbind = 127.0.0.1\n");
            // the distribution also logs to /dev/stdout, which is the test JVM's channel to Maven here
            Path logback = home.resolve("config/logback.xml");
            Files.writeString(logback, Files.readString(logback).replaceAll("(?s)<appender name=\"CONSOLE\".*?</appender>", "")
                    .replace("<appender-ref ref=\"CONSOLE\"/>", ""));

            // the launcher expands lib/framework.properties from these system properties (bin/strata sets them)
            Map<String, String> dirs = Map.of("strata.home", home.toString(), "strata.data", home.resolve("data").toString(),
                    "strata.config", home.resolve("config").toString(), "strata.logs", home.resolve("logs").toString(),
                    "strata.plugins", home.resolve("plugins").toString());
            dirs.forEach(System::setProperty);
            System.setProperty("logback.configurationFile", logback.toString());
            System.setProperty("strata.test.c2s.port", Integer.toString(c2s));
            System.setProperty("strata.test.http.port", Integer.toString(http));
            Map<String, String> props = Main.frameworkProperties(home.resolve("lib/framework.properties"));
            List<Map.Entry<Integer, String>> levels = Main.startLevels(props);
            int defaultLevel = Integer.parseInt(props.getOrDefault("felix.startlevel.bundle", "1"));

            List<Option> options = new ArrayList<>();
            props.forEach((k, v) -> {
                if (k.equals("org.osgi.framework.system.packages.extra")) {
                    // Pax Exam exports its own packages through this property: add ours to them, not instead of them
                    options.add(org.ops4j.pax.exam.CoreOptions.systemPackages(v.split("\\s*,\\s*")));
                } else if (!k.equals("org.osgi.framework.startlevel.beginning")) {
                    options.add(frameworkProperty(k).value(v));
                }
            });
            options.add(frameworkProperty("org.osgi.framework.storage.clean").value("onFirstInit"));
            for (Main.SystemJar jar : Main.systemJars(DIST.resolve("system"), System.out)) {
                options.add(bundle(jar.path().toUri().toString()).startLevel(Main.startLevelOf(jar.symbolicName(), levels, defaultLevel))
                        .start(!jar.fragment()));
            }
            // Strata's highest level is 4 (listeners and client streams); the probe and JUnit start after it
            options.add(frameworkStartLevel(5));
            options.add(junitBundles());
            for (Map.Entry<String, String> e : dirs.entrySet()) options.add(systemProperty(e.getKey()).value(e.getValue()));
            return composite(options.toArray(Option[]::new));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The benchmark's raw XMPP client (STARTTLS, SCRAM, bind) as a bundle, so tests inside the framework connect
     * real clients over loopback: its classes from the test class path, importing the api from the framework.
     */
    public static Option rawClientBundle() {
        try {
            Path classes = Path.of(RawXmppClient.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Map<String, byte[]> entries = new TreeMap<>();
            // the bench's jar, or its classes folder when the reactor did not package it
            try (FileSystem fs = Files.isDirectory(classes) ? null : FileSystems.newFileSystem(classes);
                    Stream<Path> s = Files.list((fs == null ? classes : fs.getPath("/")).resolve("dev/strata/bench"))) {
                for (Path c : s.filter(p -> p.getFileName().toString().matches("(RawXmppClient|ScramClient)(\\$.*)?\\.class")).toList()) {
                    entries.put("dev/strata/bench/" + c.getFileName(), Files.readAllBytes(c));
                }
            }
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            BundleJar.write(bytes, "dev.strata.itests.rawclient",
                    Map.of(Constants.EXPORT_PACKAGE, "dev.strata.bench", Constants.IMPORT_PACKAGE, "dev.strata.api.auth, javax.net.ssl"), entries);
            return streamBundle(new ByteArrayInputStream(bytes.toByteArray())).startLevel(3);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
