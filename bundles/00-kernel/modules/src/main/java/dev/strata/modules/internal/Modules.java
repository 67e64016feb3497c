package dev.strata.modules.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.wiring.FrameworkWiring;

import dev.strata.api.module.Problem;

/**
 * How the console names and finds bundles: by {@code Strata-Module} short name ({@code ssh-console}),
 * by that name without its spec prefix ({@code ping} for {@code xep-0199-ping}), by symbolic
 * name, or by bundle id; plus where a bundle came from and why it is not running.
 */
final class Modules {
    static final String SYSTEM_LOCATION = "strata:system/";
    private static final Pattern MISSING = Pattern.compile("missing requirement \\[.*?] (\\S+); (\\(.*?\\))(?=\\s*(\\[caused by|Unresolved|$))");

    private final BundleContext context;
    final Path home;
    final Path plugins;

    Modules(BundleContext context) {
        this.context = context;
        this.home = Path.of(prop(context, "strata.home", "."));
        this.plugins = Path.of(prop(context, "strata.plugins", home.resolve("plugins").toString()));
    }

    private static String prop(BundleContext ctx, String name, String def) {
        String v = ctx.getProperty(name);
        return v == null ? def : v;
    }

    static String shortName(Bundle b) {
        String m = b.getHeaders("").get("Strata-Module");
        return m != null ? m : b.getSymbolicName() == null ? "bundle-" + b.getBundleId() : b.getSymbolicName();
    }

    static String layer(Bundle b) {
        String l = b.getHeaders("").get("Strata-Layer");
        return l == null ? "-" : l;
    }

    static boolean isStrata(Bundle b) {
        return b.getHeaders("").get("Strata-Module") != null;
    }

    /** Whether FileInstall installed the bundle from plugins/ (its location is the jar's file: URI). */
    boolean isPlugin(Bundle b) {
        String location = b.getLocation();
        if (!location.startsWith("file:")) return false;
        Path file;
        try {
            file = Path.of(java.net.URI.create(location));
        } catch (IllegalArgumentException e) {
            file = Path.of(location.substring("file:".length())); // FileInstall does not encode spaces
        }
        return file.toAbsolutePath().normalize().startsWith(plugins.toAbsolutePath().normalize());
    }

    String source(Bundle b) {
        if (b.getBundleId() == 0) return "framework";
        if (b.getLocation().startsWith(SYSTEM_LOCATION)) return "system";
        return isPlugin(b) ? "plugin" : "console";
    }

    static String state(Bundle b) {
        return switch (b.getState()) {
            case Bundle.ACTIVE -> "ACTIVE";
            case Bundle.RESOLVED -> b.getHeaders("").get(Constants.FRAGMENT_HOST) != null ? "FRAGMENT" : onDemand(b) ? "ON-DEMAND" : "STOPPED";
            case Bundle.STARTING -> "STARTING";
            case Bundle.STOPPING -> "STOPPING";
            case Bundle.INSTALLED -> "FAILED";
            default -> "UNINSTALLED";
        };
    }

    /**
     * Whether a bundle waits above the framework's active start level to be started when needed
     * (the servlet whiteboard's Jetty): resolved and not active by design, not stopped.
     */
    static boolean onDemand(Bundle b) {
        org.osgi.framework.startlevel.BundleStartLevel level = b.adapt(org.osgi.framework.startlevel.BundleStartLevel.class);
        Bundle self = org.osgi.framework.FrameworkUtil.getBundle(Modules.class);
        if (level == null || self == null) return false;
        return level.getStartLevel() > self.getBundleContext().getBundle(0).adapt(org.osgi.framework.startlevel.FrameworkStartLevel.class).getStartLevel();
    }

    /** Finds a bundle by any of its names; fails with one clear line when none or several match. */
    Bundle find(String name) {
        List<Bundle> matches = new ArrayList<>();
        for (Bundle b : context.getBundles()) {
            String shortName = shortName(b);
            if (name.equals(Long.toString(b.getBundleId())) || name.equals(shortName) || name.equals(b.getSymbolicName())
                    || ("dev.strata." + name).equals(b.getSymbolicName())) {
                return b;
            }
            int dash = shortName.indexOf('-', shortName.indexOf('-') + 1);
            if (shortName.matches("(xep|rfc)-\\d+-.+") && name.equals(shortName.substring(dash + 1))) matches.add(b);
        }
        if (matches.size() == 1) return matches.getFirst();
        if (matches.size() > 1) {
            throw new IllegalArgumentException("'" + name + "' is ambiguous: " + matches.stream().map(Modules::shortName).toList());
        }
        throw new IllegalArgumentException("Unknown module: " + name + " (module:list shows the installed ones)");
    }

    /** Why an INSTALLED bundle does not resolve, as one line naming the missing requirement. */
    String whyNotResolved(Bundle b) {
        if (b.getState() != Bundle.INSTALLED) return null;
        FrameworkWiring fw = context.getBundle(0).adapt(FrameworkWiring.class);
        if (fw.resolveBundles(List.of(b))) return null;
        try {
            b.start(Bundle.START_TRANSIENT);
            return null;
        } catch (BundleException e) {
            return describe(e);
        } catch (IllegalStateException e) {
            return e.getMessage();
        }
    }

    /** Shortens Felix's resolution message to the missing requirement. */
    static String describe(BundleException e) {
        String msg = String.valueOf(e.getMessage());
        Matcher m = MISSING.matcher(msg);
        if (m.find()) {
            String ns = m.group(1);
            String filter = m.group(2);
            return switch (ns) {
                case "osgi.wiring.package" -> "missing package " + filter;
                case "osgi.wiring.bundle" -> "missing bundle " + filter;
                case "osgi.ee" -> "needs another Java version " + filter;
                default -> "missing " + ns + " " + filter;
            };
        }
        int nl = msg.indexOf('\n');
        return nl < 0 ? msg : msg.substring(0, nl);
    }

    /** The system/ jar whose Bundle-SymbolicName is {@code bsn}. */
    Optional<Path> systemJar(String bsn) throws IOException {
        for (Path jar : jars(home.resolve("system"))) {
            if (bsn.equals(symbolicName(jar))) return Optional.of(jar);
        }
        return Optional.empty();
    }

    static List<Path> jars(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".jar")).sorted().toList();
        }
    }

    /** The symbolic name in a jar's manifest, or null when it is not a bundle. */
    static String symbolicName(Path jar) {
        try (JarFile jf = new JarFile(jar.toFile())) {
            Manifest mf = jf.getManifest();
            String bsn = mf == null ? null : mf.getMainAttributes().getValue(Constants.BUNDLE_SYMBOLICNAME);
            return bsn == null ? null : bsn.split(";")[0].strip();
        } catch (IOException e) {
            return null;
        }
    }

    /** Installs a system/ bundle that is not installed (after an uninstall) under its system location. */
    Bundle installFromSystem(String bsn) throws IOException, BundleException {
        Path jar = systemJar(bsn).orElseThrow(() -> new IllegalArgumentException("No bundle " + bsn + " in " + home.resolve("system")));
        try (InputStream in = Files.newInputStream(jar)) {
            return context.installBundle(SYSTEM_LOCATION + bsn, in);
        }
    }

    /** What modules that run but cannot do their job say ({@link Problem} services), by the bundle that registered each. */
    static Map<Bundle, List<String>> problems(BundleContext context) {
        Map<Bundle, List<String>> byBundle = new LinkedHashMap<>();
        Collection<ServiceReference<Problem>> refs;
        try {
            refs = context.getServiceReferences(Problem.class, null);
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e); // no filter given
        }
        for (ServiceReference<Problem> ref : refs) {
            Bundle owner = ref.getBundle();
            Problem p = owner == null ? null : context.getService(ref);
            if (p == null) continue; // unregistered meanwhile
            try {
                byBundle.computeIfAbsent(owner, b -> new ArrayList<>()).add(p.text());
            } finally {
                context.ungetService(ref);
            }
        }
        return byBundle;
    }

    /** The same, one line each: "module: text". */
    static List<String> problemLines(Map<Bundle, List<String>> problems) {
        List<String> lines = new ArrayList<>();
        problems.forEach((b, texts) -> texts.forEach(t -> lines.add(shortName(b) + ": " + t)));
        return lines;
    }

    /**
     * Symbolic names installed more than once from {@code plugins/} (two versions of one plugin
     * dropped side by side both run), one line each naming the files and versions.
     */
    List<String> duplicatePlugins() {
        Map<String, List<String>> byName = new TreeMap<>();
        for (Bundle b : context.getBundles()) {
            if (b.getSymbolicName() != null && isPlugin(b)) {
                String location = b.getLocation();
                byName.computeIfAbsent(b.getSymbolicName(), n -> new ArrayList<>()).add(location.substring(location.lastIndexOf('/') + 1) + " " + b.getVersion());
            }
        }
        List<String> lines = new ArrayList<>();
        byName.forEach((name, where) -> {
            if (where.size() > 1) lines.add(name + " is in plugins/ " + where.size() + " times (" + String.join(", ", where) + "), and each copy runs: delete all but one");
        });
        return lines;
    }
}
