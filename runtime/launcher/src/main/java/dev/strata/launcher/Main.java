package dev.strata.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.ServiceLoader;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.osgi.framework.startlevel.BundleStartLevel;

/**
 * Starts the OSGi framework for a Strata distribution. The bundles of {@code system/} are the
 * server: each is installed under the location {@code strata:system/<symbolic name>}, updated
 * when its jar is newer than the installed revision, and uninstalled when its jar is gone.
 * A bundle is started once, when first installed; after that the framework's persistent state
 * decides, so a module an admin unloaded stays unloaded across restarts. Bundles from
 * {@code plugins/} belong to FileInstall and are left alone here. Start levels: bundles/README.md §2.
 */
public final class Main {
    static final String SYSTEM_LOCATION = "strata:system/";
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([^}]+)}");

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        Path home = Path.of(System.getProperty("strata.home", ".")).toAbsolutePath().normalize();
        Map<String, String> props = frameworkProperties(home.resolve("lib/framework.properties"));
        PrintStream out = System.out;

        Framework framework = ServiceLoader.load(FrameworkFactory.class).findFirst()
                .orElseThrow(() -> new IllegalStateException("No OSGi framework on the class path (lib/)"))
                .newFramework(props);
        framework.init();
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("strata-shutdown").unstarted(() -> stop(framework)));
        try {
            sync(framework.getBundleContext(), home.resolve("system"), startLevels(props),
                    Integer.parseInt(props.getOrDefault("felix.startlevel.bundle", "1")), out);
        } catch (IOException | BundleException e) {
            out.println("strata: cannot install the system bundles: " + e.getMessage());
            framework.stop();
            System.exit(1);
        }
        framework.start();
        FrameworkEvent event = framework.waitForStop(0);
        System.exit(event.getType() == FrameworkEvent.ERROR ? 1 : 0);
    }

    private static void stop(Framework framework) {
        try {
            if ((framework.getState() & (Bundle.ACTIVE | Bundle.STARTING)) != 0) {
                framework.stop();
                framework.waitForStop(15_000);
            }
        } catch (BundleException | InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Reads framework properties, expanding {@code ${name}} from system properties. Public, like the start-level
     *  helpers below, so the in-framework tests (itests/osgi) start the same bundles the same way. */
    public static Map<String, String> frameworkProperties(Path file) throws IOException {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
        }
        Map<String, String> result = new HashMap<>();
        for (String key : p.stringPropertyNames()) {
            result.put(key, expand(p.getProperty(key)));
        }
        result.put("strata.jvm.start", Long.toString(ManagementFactory.getRuntimeMXBean().getStartTime()));
        return result;
    }

    static String expand(String value) {
        Matcher m = VARIABLE.matcher(value);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String v = System.getProperty(m.group(1));
            if (v == null) throw new IllegalArgumentException("framework.properties uses ${" + m.group(1) + "}, which is not set");
            m.appendReplacement(sb, Matcher.quoteReplacement(v));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    /** {@code strata.startlevel.N = prefix*, name} lines: symbolic names started at level N. */
    public static List<Map.Entry<Integer, String>> startLevels(Map<String, String> props) {
        List<Map.Entry<Integer, String>> levels = new ArrayList<>();
        props.forEach((k, v) -> {
            if (k.startsWith("strata.startlevel.")) {
                int level = Integer.parseInt(k.substring("strata.startlevel.".length()));
                for (String name : v.split(",")) levels.add(Map.entry(level, name.strip()));
            }
        });
        return levels;
    }

    public static int startLevelOf(String bsn, List<Map.Entry<Integer, String>> levels, int fallback) {
        for (Map.Entry<Integer, String> e : levels) {
            String pattern = e.getValue();
            boolean match = pattern.endsWith("*") ? bsn.startsWith(pattern.substring(0, pattern.length() - 1)) : bsn.equals(pattern);
            if (match) return e.getKey();
        }
        return fallback;
    }

    /** A jar of {@code system/} with what its manifest says: its symbolic name and whether it is a fragment. */
    public record SystemJar(Path path, String symbolicName, boolean fragment) {
    }

    /**
     * The bundles of {@code system/}, in name order; a jar without a Bundle-SymbolicName is reported on {@code out} and
     * left out. Public for the in-framework tests (itests/osgi), which install the same set.
     */
    public static List<SystemJar> systemJars(Path system, PrintStream out) throws IOException {
        List<Path> jars;
        try (Stream<Path> s = Files.list(system)) {
            jars = s.filter(p -> p.toString().endsWith(".jar")).sorted().toList();
        }
        List<SystemJar> result = new ArrayList<>();
        for (Path jar : jars) {
            Manifest mf;
            try (JarFile jf = new JarFile(jar.toFile())) {
                mf = jf.getManifest();
            }
            String bsn = mf == null ? null : mf.getMainAttributes().getValue(Constants.BUNDLE_SYMBOLICNAME);
            if (bsn == null) {
                out.println("strata: " + jar + " is not an OSGi bundle (no Bundle-SymbolicName); skipped");
                continue;
            }
            result.add(new SystemJar(jar, bsn.split(";")[0].strip(), mf.getMainAttributes().getValue(Constants.FRAGMENT_HOST) != null));
        }
        return result;
    }

    /** Installs, updates and uninstalls the system bundles to match system/; each gets its start level (listed, else {@code defaultLevel}). */
    private static void sync(BundleContext ctx, Path system, List<Map.Entry<Integer, String>> levels, int defaultLevel, PrintStream out)
            throws IOException, BundleException {
        Map<String, Bundle> installed = new HashMap<>();
        for (Bundle b : ctx.getBundles()) {
            if (b.getLocation().startsWith(SYSTEM_LOCATION)) installed.put(b.getLocation(), b);
        }
        List<Bundle> toStart = new ArrayList<>();
        for (SystemJar jar : systemJars(system, out)) {
            String bsn = jar.symbolicName();
            String location = SYSTEM_LOCATION + bsn;
            Bundle b = installed.remove(location);
            if (b == null) {
                try (InputStream in = Files.newInputStream(jar.path())) {
                    b = ctx.installBundle(location, in);
                }
                b.adapt(BundleStartLevel.class).setStartLevel(startLevelOf(bsn, levels, defaultLevel));
                if (!jar.fragment()) toStart.add(b);
            } else {
                if (Files.getLastModifiedTime(jar.path()).toMillis() > b.getLastModified()) {
                    try (InputStream in = Files.newInputStream(jar.path())) {
                        b.update(in);
                    }
                }
                // a level changed since the bundle was installed (an upgrade): the framework keeps what it was given then
                BundleStartLevel level = b.adapt(BundleStartLevel.class);
                int wanted = startLevelOf(bsn, levels, defaultLevel);
                if (level.getStartLevel() != wanted) level.setStartLevel(wanted);
            }
        }
        for (Bundle gone : installed.values()) {
            out.println("strata: " + gone.getSymbolicName() + " is no longer in system/; uninstalling it");
            gone.uninstall();
        }
        for (Bundle b : toStart) {
            b.start(); // persistent: takes effect when the framework reaches the bundle's start level
        }
    }
}
