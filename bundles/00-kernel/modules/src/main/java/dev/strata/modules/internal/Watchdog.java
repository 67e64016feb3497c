package dev.strata.modules.internal;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.BundleListener;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.FrameworkListener;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceEvent;
import org.osgi.framework.ServiceListener;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.module.Problem;

/**
 * Logs what an admin must know without asking: how long the boot took (JVM start to every
 * bundle active) and which modules run but cannot do their job ({@link Problem}s, also kept in
 * {@code data/problems} for {@code bin/strata status}), and, once per file version, each plugin
 * that cannot run, with the reason (not a bundle, or the requirement it misses).
 */
@Component(service = {}, immediate = true)
public final class Watchdog implements FrameworkListener, BundleListener, ServiceListener {
    private static final Logger LOG = LoggerFactory.getLogger("dev.strata.modules");

    private final BundleContext context;
    private final Modules modules;
    private final Thread pluginScan;
    private final Set<String> reported = new HashSet<>();

    @Activate
    public Watchdog(BundleContext context) {
        this.context = context;
        this.modules = new Modules(context);
        context.addFrameworkListener(this);
        context.addBundleListener(this);
        try {
            context.addServiceListener(this, "(objectClass=" + Problem.class.getName() + ")");
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        if (context.getBundle(0).getState() == Bundle.ACTIVE) reportBoot();
        else writeProblems(List.of()); // none yet: a stale file from the last run must not speak for this one
        this.pluginScan = Thread.ofPlatform().daemon().name("strata-plugin-check").start(this::scanPlugins);
    }

    @Deactivate
    void deactivate() {
        context.removeFrameworkListener(this);
        context.removeBundleListener(this);
        context.removeServiceListener(this);
        pluginScan.interrupt();
    }

    @Override
    public void frameworkEvent(FrameworkEvent event) {
        if (event.getType() == FrameworkEvent.STARTED) reportBoot();
    }

    private void reportBoot() {
        long start = ManagementFactory.getRuntimeMXBean().getStartTime();
        double seconds = (System.currentTimeMillis() - start) / 1000.0;
        int active = 0;
        StringBuilder notActive = new StringBuilder();
        for (Bundle b : context.getBundles()) {
            if (b.getState() == Bundle.ACTIVE) active++;
            else if (b.getHeaders("").get("Fragment-Host") == null && !Modules.onDemand(b)) notActive.append(' ').append(Modules.shortName(b)).append('(').append(Modules.state(b)).append(')');
        }
        List<String> problems = Modules.problemLines(Modules.problems(context));
        if (problems.isEmpty()) {
            LOG.info("Strata started in {} s: {} bundles active{}", String.format("%.2f", seconds), active,
                    notActive.isEmpty() ? "" : "; not active:" + notActive);
        } else {
            LOG.error("Strata started in {} s: {} bundles active{}; FAILED: {}", String.format("%.2f", seconds), active,
                    notActive.isEmpty() ? "" : "; not active:" + notActive, String.join("; ", problems));
        }
        writeProblems(problems);
    }

    /**
     * {@code data/problems}: one line per module that runs but cannot do its job, empty when none;
     * what {@code bin/strata status} reads. Rewritten whenever one comes or goes.
     */
    private synchronized void writeProblems(List<String> problems) {
        String data = context.getProperty("strata.data");
        if (data == null) return;
        try {
            Path tmp = Path.of(data, "problems.tmp");
            Files.write(tmp, problems);
            Files.move(tmp, Path.of(data, "problems"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            LOG.warn("Cannot write {}/problems: {}", data, e.getMessage());
        }
    }

    @Override
    public void serviceChanged(ServiceEvent event) {
        writeProblems(Modules.problemLines(Modules.problems(context)));
    }

    @Override
    public void bundleChanged(BundleEvent event) {
        Bundle b = event.getBundle();
        if ((event.getType() == BundleEvent.INSTALLED || event.getType() == BundleEvent.UPDATED) && modules.isPlugin(b)) {
            Thread.ofVirtual().start(() -> checkLater(b));
        }
    }

    /** FileInstall starts a new plugin right after installing it; look once that had its chance. */
    private void checkLater(Bundle b) {
        try {
            Thread.sleep(700);
        } catch (InterruptedException e) {
            return;
        }
        for (String twice : modules.duplicatePlugins()) {
            if (report("twice:" + twice)) LOG.warn("Plugin {}", twice);
        }
        if (b.getState() != Bundle.INSTALLED) return;
        String why = modules.whyNotResolved(b);
        if (why != null && report("bundle:" + b.getBundleId() + ":" + b.getLastModified())) {
            LOG.error("Plugin {} ({} {}) cannot start: {}", b.getLocation(), b.getSymbolicName(), b.getVersion(), why);
        }
    }

    private synchronized boolean report(String key) {
        return reported.add(key);
    }

    /** Files in plugins/ that are not bundles never reach the framework; say so once per version. */
    private void scanPlugins() {
        Map<Path, Long> seen = new HashMap<>();
        while (!Thread.currentThread().isInterrupted()) {
            try {
                List<Path> jars = Modules.jars(modules.plugins);
                for (Path jar : jars) {
                    long mtime = Files.getLastModifiedTime(jar).toMillis();
                    if (Long.valueOf(mtime).equals(seen.put(jar, mtime))) continue;
                    if (Modules.symbolicName(jar) == null && report("file:" + jar + ":" + mtime)) {
                        LOG.error("Plugin {} is not an OSGi bundle (no Bundle-SymbolicName in its manifest); ignored", jar);
                    }
                }
                seen.keySet().retainAll(jars);
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            } catch (IOException e) {
                LOG.debug("plugin scan: {}", e.getMessage());
            }
        }
    }
}
