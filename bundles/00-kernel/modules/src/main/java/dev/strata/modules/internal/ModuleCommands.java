package dev.strata.modules.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

import dev.strata.api.console.ConsoleCommand;
import dev.strata.api.stanza.SessionRegistry;

/**
 * {@code module:list|load|reload|unload}. Loading a jar copies it into plugins/ (FileInstall then
 * installs it, and it stays across restarts); loading a module by name starts it; unloading stops
 * it persistently; reloading updates it from its jar and refreshes only what depends on it.
 */
@ConsoleCommand(scope = "module", function = {"list", "load", "reload", "unload"})
@Component(service = ModuleCommands.class)
public final class ModuleCommands {
    /** Modules the console itself runs on: unloading them from the console would cut it off. */
    static final Set<String> PROTECTED = Set.of("dev.strata.modules", "dev.strata.console.ssh", "dev.strata.api");
    private static final long WAIT_MS = 10_000;

    private final BundleContext context;
    private final Modules modules;

    @Activate
    public ModuleCommands(BundleContext context) {
        this.context = context;
        this.modules = new Modules(context);
    }

    /** module:list — Strata modules and plugins. */
    @Descriptor("List Strata modules and plugins: short name, version, state, layer, source; failures are explained below")
    public String list() throws IOException {
        return list("modules");
    }

    /** module:list all — every bundle, framework infrastructure included. */
    @Descriptor("List modules; 'all' adds the framework bundles")
    public String list(@Descriptor("all, or modules") String which) throws IOException {
        boolean all = "all".equals(which);
        if (!all && !"modules".equals(which)) throw new IllegalArgumentException("module:list takes no argument, or 'all'");
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"ID", "MODULE", "VERSION", "STATE", "LAYER", "SOURCE"});
        List<Bundle> bundles = new ArrayList<>(List.of(context.getBundles()));
        bundles.sort(Comparator.comparing(Modules::layer).thenComparing(Modules::shortName));
        List<String> failures = new ArrayList<>();
        Map<Bundle, List<String>> problems = Modules.problems(context);
        for (Bundle b : bundles) {
            boolean plugin = modules.isPlugin(b);
            if (!all && !Modules.isStrata(b) && !plugin) continue;
            String why = modules.whyNotResolved(b); // also resolves a stopped bundle not yet resolved since boot
            if (why != null) failures.add(Modules.shortName(b) + ": " + why);
            List<String> own = problems.getOrDefault(b, List.of());
            for (String p : own) failures.add(Modules.shortName(b) + ": " + p);
            rows.add(new String[] {Long.toString(b.getBundleId()), Modules.shortName(b), b.getVersion().toString(),
                    own.isEmpty() ? Modules.state(b) : "FAILED", Modules.layer(b), modules.source(b)});
        }
        for (Path jar : Modules.jars(modules.plugins)) {
            if (Modules.symbolicName(jar) == null) {
                rows.add(new String[] {"-", jar.getFileName().toString(), "-", "FAILED", "-", "plugin"});
                failures.add(jar.getFileName() + ": not an OSGi bundle (no Bundle-SymbolicName in its manifest)");
            }
        }
        failures.addAll(modules.duplicatePlugins());
        StringBuilder sb = new StringBuilder(table(rows));
        for (String f : failures) sb.append("\n  ").append(f);
        return sb.toString();
    }

    static String table(List<String[]> rows) {
        int[] width = new int[rows.getFirst().length];
        for (String[] r : rows) for (int i = 0; i < r.length; i++) width[i] = Math.max(width[i], r[i].length());
        StringBuilder sb = new StringBuilder();
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                sb.append(i == r.length - 1 ? r[i] : String.format("%-" + (width[i] + 2) + "s", r[i]));
            }
            sb.append('\n');
        }
        return sb.toString().stripTrailing();
    }

    /** module:load NAME|PATH|mvn:GROUP/ARTIFACT/VERSION */
    @Descriptor("Start a module by name, or install a bundle from a path or mvn:group/artifact/version (copied into plugins/)")
    public String load(@Descriptor("module name, jar path or mvn: coordinates") String what) throws IOException, BundleException, InterruptedException {
        if (what.startsWith("mvn:")) return loadJar(MavenLocal.resolve(what));
        Path path = Path.of(what);
        if (what.endsWith(".jar") || Files.isRegularFile(path)) {
            if (!Files.isRegularFile(path)) throw new IllegalArgumentException("No such file: " + what);
            return loadJar(path);
        }
        Bundle b;
        try {
            b = modules.find(what);
        } catch (IllegalArgumentException notInstalled) {
            String bsn = what.startsWith("dev.strata.") ? what : "dev.strata." + what.replace("-", "");
            if (modules.systemJar(what).isPresent()) bsn = what;
            else if (modules.systemJar(bsn).isEmpty()) throw notInstalled;
            b = modules.installFromSystem(bsn);
        }
        start(b);
        return Modules.shortName(b) + " " + b.getVersion() + " " + Modules.state(b);
    }

    private void start(Bundle b) throws BundleException {
        try {
            b.start();
        } catch (BundleException e) {
            throw new IllegalStateException(Modules.shortName(b) + " cannot start: " + Modules.describe(e), e);
        }
    }

    private String loadJar(Path jar) throws IOException, InterruptedException {
        String bsn = Modules.symbolicName(jar);
        if (bsn == null) throw new IllegalArgumentException(jar + " is not an OSGi bundle (no Bundle-SymbolicName in its manifest)");
        Files.createDirectories(modules.plugins);
        Path target = modules.plugins.resolve(jar.getFileName());
        boolean replaces = Files.exists(target);
        Path tmp = modules.plugins.resolve("." + jar.getFileName() + ".part");
        Files.copy(jar, tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        long deadline = System.currentTimeMillis() + WAIT_MS;
        while (System.currentTimeMillis() < deadline) {
            for (Bundle b : context.getBundles()) {
                if (bsn.equals(b.getSymbolicName()) && modules.isPlugin(b)) {
                    if (b.getState() == Bundle.ACTIVE) return Modules.shortName(b) + " " + b.getVersion() + " ACTIVE (" + target + ")";
                    String why = b.getState() == Bundle.INSTALLED ? modules.whyNotResolved(b) : null;
                    if (why != null) {
                        // a load that failed leaves nothing behind, unless it replaced a jar that was there
                        if (!replaces) Files.deleteIfExists(target);
                        throw new IllegalStateException(Modules.shortName(b) + " cannot start: " + why + (replaces
                                ? "; " + target + " stays (it replaced the jar of that name), delete it to drop it"
                                : "; removed from plugins/ again"));
                    }
                }
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException(bsn + " was copied to " + target + " but did not become ACTIVE within " + WAIT_MS / 1000 + " s");
    }

    /** module:reload NAME — update from its jar and refresh it and its dependents only. */
    @Descriptor("Update a module from its jar and refresh only it and what depends on it")
    public String reload(@Descriptor("module name, symbolic name or id") String name) throws IOException, BundleException, InterruptedException {
        Bundle b = modules.find(name);
        if (b.getBundleId() == 0) throw new IllegalArgumentException("The framework itself cannot be reloaded; restart the server");
        if (b.getLocation().startsWith(Modules.SYSTEM_LOCATION)) {
            Path jar = modules.systemJar(b.getSymbolicName()).orElseThrow(
                    () -> new IllegalStateException(b.getSymbolicName() + " is no longer in system/"));
            try (InputStream in = Files.newInputStream(jar)) {
                b.update(in);
            }
        } else {
            b.update();
        }
        refresh(b);
        String why = modules.whyNotResolved(b);
        if (why != null) throw new IllegalStateException(Modules.shortName(b) + " reloaded but cannot start: " + why);
        return Modules.shortName(b) + " " + b.getVersion() + " " + Modules.state(b);
    }

    private void refresh(Bundle b) throws InterruptedException {
        FrameworkWiring fw = context.getBundle(0).adapt(FrameworkWiring.class);
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        fw.refreshBundles(List.of(b), (FrameworkEvent e) -> done.countDown());
        done.await(WAIT_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /** Modules that hold the clients' connections: unloading one drops every client (bundles/README.md §6). */
    static final Set<String> HOLDS_CONNECTIONS = Set.of("dev.strata.transport", "dev.strata.stream");

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile SessionRegistry sessions;

    /** module:unload NAME — stop it, and keep it stopped across restarts. */
    @Descriptor("Stop a module; it stays stopped across restarts until loaded again")
    public String unload(@Descriptor("module name, symbolic name or id") String name) throws BundleException {
        return unload(false, name);
    }

    /** module:unload --force NAME — also a module whose stop drops the connected clients. */
    @Descriptor("Stop a module; it stays stopped across restarts until loaded again")
    public String unload(@Parameter(names = "--force", presentValue = "true", absentValue = "false")
            @Descriptor("also when it drops every connected client") boolean force,
            @Descriptor("module name, symbolic name or id") String name) throws BundleException {
        Bundle b = modules.find(name);
        if (b.getBundleId() == 0 || PROTECTED.contains(b.getSymbolicName())) {
            throw new IllegalArgumentException(Modules.shortName(b) + " runs this console and cannot be unloaded from it");
        }
        if (!force && HOLDS_CONNECTIONS.contains(b.getSymbolicName()) && b.getState() == Bundle.ACTIVE) {
            SessionRegistry registry = sessions;
            int n = registry == null ? 0 : registry.all().size();
            throw new IllegalArgumentException(Modules.shortName(b) + " holds the clients' connections: unloading it drops every client ("
                    + n + (n == 1 ? " session" : " sessions") + " now) and accepts none until it is loaded again; "
                    + "module:unload --force " + Modules.shortName(b) + " does it");
        }
        b.stop();
        return Modules.shortName(b) + " " + b.getVersion() + " " + Modules.state(b);
    }
}
