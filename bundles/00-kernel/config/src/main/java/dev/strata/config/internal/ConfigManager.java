package dev.strata.config.internal;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Array;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

import org.apache.felix.service.command.Descriptor;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.BundleListener;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.strata.api.console.ConsoleCommand;
import dev.strata.config.check.ConfigTree;
import dev.strata.config.check.ConfigTree.Problem;
import dev.strata.config.check.ConfigTree.Setting;
import dev.strata.config.check.ConfigTree.Target;
import dev.strata.config.check.Metatype;
import dev.strata.config.check.Validator;

/**
 * Applies the config/ tree to ConfigAdmin and keeps it applied: the tree is polled every second
 * and re-read on any change; a configuration whose settings fail validation is not applied (the
 * component keeps its previous one) and each problem is logged once with file, line and key.
 * Configurations this manager created and whose files are gone are deleted. Also the console
 * commands {@code config:get} and {@code config:set}. The rules: bundles/README.md §7.
 */
@ConsoleCommand(scope = "config", function = {"get", "set"})
@Component(service = ConfigManager.class, immediate = true)
public final class ConfigManager implements BundleListener {
    private static final Logger LOG = LoggerFactory.getLogger(ConfigManager.class);
    static final String MANAGED = "strata.config.managed";

    private final BundleContext context;
    private final ConfigurationAdmin configAdmin;
    private final Path root;
    private final ReentrantLock lock = new ReentrantLock();
    private final Thread watcher;
    private final Set<String> reported = new HashSet<>();
    private volatile Map<Path, Long> snapshot = Map.of();
    /** A bundle came, went or changed, so the metatype may have: validate and apply again. */
    private volatile boolean bundlesChanged;
    private volatile ConfigTree tree;
    private volatile Metatype metatype = new Metatype();

    @Activate
    public ConfigManager(BundleContext context, @Reference ConfigurationAdmin configAdmin) {
        this.context = context;
        this.configAdmin = configAdmin;
        String dir = context.getProperty("strata.config");
        this.root = Path.of(dir == null ? "config" : dir).toAbsolutePath().normalize();
        context.addBundleListener(this);
        // Resolve everything first, so the metatype of every installed bundle is known at the first apply.
        context.getBundle(0).adapt(org.osgi.framework.wiring.FrameworkWiring.class).resolveBundles(null);
        apply();
        this.watcher = Thread.ofPlatform().daemon().name("strata-config-watch").start(this::watch);
        LOG.info("Configuration from {} (environment {}), watched for changes", root, tree == null ? "?" : tree.environment());
    }

    @Deactivate
    void deactivate() {
        context.removeBundleListener(this);
        watcher.interrupt();
    }

    private void watch() {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Thread.sleep(1000);
                if (bundlesChanged || !scan().equals(snapshot)) apply();
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.error("Applying the configuration failed", e);
            }
        }
    }

    /** File modification times and sizes of the whole tree. */
    private Map<Path, Long> scan() {
        Map<Path, Long> files = new HashMap<>();
        if (!Files.isDirectory(root)) return files;
        try (Stream<Path> s = Files.walk(root)) {
            s.filter(Files::isRegularFile).forEach(p -> {
                try {
                    files.put(p, Files.getLastModifiedTime(p).toMillis() * 31 + Files.size(p));
                } catch (IOException e) {
                    files.put(p, -1L);
                }
            });
        } catch (IOException | java.io.UncheckedIOException e) {
            LOG.warn("Cannot scan {}: {}", root, e.getMessage());
        }
        return files;
    }

    @Override
    public void bundleChanged(BundleEvent event) {
        int type = event.getType();
        if (type == BundleEvent.RESOLVED || type == BundleEvent.UNRESOLVED || type == BundleEvent.UPDATED) {
            bundlesChanged = true; // the watcher re-applies once on its next tick, however many bundles changed
        }
    }

    /** Re-reads the tree and metatype, and pushes every valid configuration to ConfigAdmin. */
    void apply() {
        lock.lock();
        try {
            bundlesChanged = false;
            snapshot = scan();
            ConfigTree t = ConfigTree.read(root, System::getenv);
            Metatype m = readMetatype();
            tree = t;
            metatype = m;
            Set<String> now = new HashSet<>();
            for (Problem p : t.problems()) {
                now.add(p.toString());
                report(p.toString());
            }
            for (Map.Entry<Target, Map<String, Setting>> e : t.targets().entrySet()) {
                Target target = e.getKey();
                Metatype.Ocd ocd = m.find(target);
                List<Problem> problems = Validator.validate(t, target, ocd);
                if (ocd == null) {
                    String line = Validator.undeclared(t, target).toString();
                    now.add(line);
                    if (reported.add(line)) LOG.warn("config: {}", line);
                } else if (!problems.isEmpty()) {
                    String consequence = applied(target) ? "; keeping the previous configuration of " + target
                            : "; " + target + " has no configuration until this is fixed (a component with defaults runs on them; "
                              + (target.isFactory() ? "this instance, e.g. a listener, does not exist" : "one that needs a configuration stays off") + ")";
                    for (Problem p : problems) {
                        String line = p + consequence;
                        now.add(line);
                        report(line);
                    }
                    continue;
                }
                push(target, e.getValue(), ocd);
            }
            reported.retainAll(now);
            removeStale(t.targets().keySet());
        } catch (IOException e) {
            LOG.error("Cannot read the configuration in {}: {}", root, e.getMessage());
        } finally {
            lock.unlock();
        }
    }

    private void report(String problem) {
        if (reported.add(problem)) LOG.error("config: {}", problem);
    }

    private void push(Target target, Map<String, Setting> settings, Metatype.Ocd ocd) throws IOException {
        Dictionary<String, Object> dict = new Hashtable<>();
        settings.forEach((k, s) -> dict.put(k, Validator.typed(ocd == null ? null : ocd.ads().get(k), s.value())));
        dict.put(MANAGED, Boolean.TRUE);
        Configuration c = target.isFactory()
                ? configAdmin.getFactoryConfiguration(target.pid(), target.factoryName(), "?")
                : configAdmin.getConfiguration(target.pid(), "?");
        if (c.updateIfDifferent(dict)) {
            LOG.info("config: {} applied ({})", target, String.join(", ", settings.keySet()));
        }
    }

    /** Whether ConfigAdmin holds a configuration of {@code target} already (from this run or a previous one). */
    private boolean applied(Target target) throws IOException {
        return configurationOf(target) != null;
    }

    /** ConfigAdmin's configuration of {@code target}, or null. */
    private Configuration configurationOf(Target target) throws IOException {
        String pid = target.isFactory() ? target.pid() + "~" + target.factoryName() : target.pid();
        try {
            Configuration[] found = configAdmin.listConfigurations("(service.pid=" + pid + ")");
            return found == null || found.length == 0 ? null : found[0];
        } catch (InvalidSyntaxException e) {
            return null; // a PID that is not a valid filter value: nothing can have been applied under it
        }
    }

    private void removeStale(Set<Target> current) throws IOException {
        Set<String> keep = new HashSet<>();
        for (Target t : current) keep.add(t.isFactory() ? t.pid() + "~" + t.factoryName() : t.pid());
        Configuration[] managed;
        try {
            managed = configAdmin.listConfigurations("(" + MANAGED + "=true)");
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        if (managed == null) return;
        for (Configuration c : managed) {
            if (!keep.contains(c.getPid())) {
                LOG.info("config: {} removed (no longer in {})", c.getPid(), root);
                c.delete();
            }
        }
    }

    private Metatype readMetatype() {
        Metatype m = new Metatype();
        for (Bundle b : context.getBundles()) {
            if ((b.getState() & (Bundle.RESOLVED | Bundle.STARTING | Bundle.ACTIVE | Bundle.STOPPING)) == 0) continue;
            Enumeration<URL> entries = b.findEntries("OSGI-INF/metatype", "*.xml", false);
            if (entries == null) continue;
            String layer = b.getHeaders().get("Strata-Layer");
            while (entries.hasMoreElements()) {
                URL url = entries.nextElement();
                try (InputStream in = url.openStream()) {
                    m.add(in, b.getSymbolicName(), layer);
                } catch (IOException e) {
                    LOG.warn("Unreadable metatype {} in {}: {}", url, b.getSymbolicName(), e.getMessage());
                }
            }
        }
        return m;
    }

    // --- console commands ------------------------------------------------------------------

    /** config:get — every configuration with its effective settings and where each comes from. */
    @Descriptor("Show every effective setting and the file and line it comes from")
    public String get() {
        return get(null, null);
    }

    /** config:get PID — the settings of one configuration. */
    @Descriptor("Show the settings of one configuration, defaults included")
    public String get(@Descriptor("configuration PID") String pid) {
        return get(pid, null);
    }

    /**
     * config:get PID KEY — one setting. Each line is what a file sets and where; a configuration the server refused
     * (a setting fails validation: the whole configuration stays as it was) says so on each of its lines, with the
     * reason and the value in effect instead; the component's defaults for what no file sets are marked (default).
     */
    @Descriptor("Show one setting")
    public String get(@Descriptor("configuration PID") String pid, @Descriptor("key") String key) {
        ConfigTree t = requireTree();
        Metatype m = metatype;
        StringBuilder sb = new StringBuilder();
        Map<Target, Map<String, Setting>> targets = new TreeMap<>(t.targets());
        boolean found = false;
        for (Map.Entry<Target, Map<String, Setting>> e : targets.entrySet()) {
            if (pid != null && !e.getKey().toString().equals(pid)) continue;
            Metatype.Ocd ocd = m.find(e.getKey());
            Map<String, Problem> rejected = new HashMap<>();
            for (Problem p : Validator.validate(t, e.getKey(), ocd)) rejected.putIfAbsent(p.key() == null ? "" : p.key(), p);
            Dictionary<String, Object> inEffect = rejected.isEmpty() ? null : current(e.getKey());
            for (Map.Entry<String, Setting> s : e.getValue().entrySet()) {
                if (key != null && !s.getKey().equals(key)) continue;
                found = true;
                sb.append(e.getKey()).append(' ').append(s.getKey()).append(" = ").append(s.getValue().value())
                        .append("    (").append(s.getValue().source()).append(')');
                if (ocd == null) {
                    sb.append("  kept: no installed module declares ").append(e.getKey().pid());
                } else if (!rejected.isEmpty()) {
                    Problem p = rejected.get(s.getKey());
                    // every layer is checked: the refused value may be in a file this one overrides
                    String at = p == null ? "" : p.file() + (p.line() > 0 ? ":" + p.line() : "");
                    sb.append(p == null ? "  not applied: " + e.getKey() + " has a rejected setting"
                            : "  REJECTED" + (at.equals(s.getValue().source().toString()) ? "" : " (" + at + ")") + ": " + p.reason())
                            .append("; in effect: ").append(inEffect(e.getKey(), inEffect, ocd, s.getKey()));
                }
                sb.append('\n');
            }
        }
        if (pid != null) {
            // what no file sets: the component's own default, shown as such
            Metatype.Ocd ocd = m.find(target(pid));
            if (ocd == null && !found) throw new IllegalArgumentException("Unknown PID: " + pid);
            if (ocd != null) {
                if (key != null && !ocd.ads().containsKey(key)) throw new IllegalArgumentException("Unknown key for " + pid + ": " + key);
                Map<String, Setting> set = t.targets().getOrDefault(target(pid), Map.of());
                for (Metatype.Ad ad : ocd.ads().values()) {
                    if (key != null && !ad.id().equals(key) || set.containsKey(ad.id())) continue;
                    sb.append(pid).append(' ').append(ad.id()).append(" = ").append(ad.defaultValue() == null ? "(none)" : ad.defaultValue())
                            .append("    (default)\n");
                }
            }
        }
        return sb.toString().stripTrailing();
    }

    /** What ConfigAdmin holds for {@code target} now (what the component runs on), or null if nothing. */
    private Dictionary<String, Object> current(Target target) {
        try {
            Configuration c = configurationOf(target);
            return c == null ? null : c.getProperties();
        } catch (IOException e) {
            return null;
        }
    }

    /** The value in effect for a key of a refused configuration: the previous configuration's, else the default. */
    private static String inEffect(Target target, Dictionary<String, Object> current, Metatype.Ocd ocd, String key) {
        if (current == null && target.isFactory()) return "nothing, " + target + " does not exist until this is fixed";
        Object v = current == null ? null : current.get(key);
        if (v == null) {
            Metatype.Ad ad = ocd.ads().get(key);
            if (ad != null && ad.defaultValue() != null) return ad.defaultValue() + " (default)";
            return current == null ? "nothing (no configuration yet)" : "(none)";
        }
        if (v.getClass().isArray()) {
            List<String> items = new ArrayList<>();
            for (int i = 0; i < Array.getLength(v); i++) items.add(String.valueOf(Array.get(v, i)));
            v = String.join(", ", items);
        }
        return v + " (the previous configuration)";
    }

    /** config:set PID KEY VALUE — validates, then writes the file the value comes from (atomically). */
    @Descriptor("Validate a setting, then write it into the file it comes from (or the component's stack file)")
    public String set(@Descriptor("configuration PID") String pid, @Descriptor("key") String key, @Descriptor("value") String value) throws IOException {
        ConfigTree t = requireTree();
        Target target = target(pid);
        Metatype.Ocd ocd = metatype.find(target);
        if (ocd == null) throw new IllegalArgumentException("Unknown PID: " + pid + " (no loaded component declares it)");
        String reason = Validator.check(ocd, key, value);
        if (reason != null) throw new IllegalArgumentException(pid + " " + key + ": " + reason);
        Setting current = t.targets().getOrDefault(target, Map.of()).get(key);
        Path file;
        int line;
        // writing a literal over it would quietly stop the setting from following the environment
        Optional<String> variable = current == null ? Optional.empty() : ConfigTree.environmentVariable(current.source().raw());
        if (variable.isPresent()) {
            throw new IllegalArgumentException(pid + " " + key + " follows " + current.source().raw() + " (" + current.source()
                    + "): set " + variable.get() + " (in .env or the environment) and restart, or edit that line to stop following it");
        }
        if (current != null) {
            file = root.getParent().resolve(current.source().file());
            line = current.source().line();
        } else {
            Path stack = root.resolve("stack");
            file = (ocd.layer() == null ? stack : stack.resolve(ocd.layer())).resolve(pid + ".cfg");
            line = 0;
        }
        ConfigFiles.set(file, line, key, value);
        apply();
        return pid + " " + key + " = " + value + "    (" + root.getParent().relativize(file) + ")";
    }

    private static Target target(String pid) {
        int tilde = pid.indexOf('~');
        return tilde < 0 ? new Target(pid, null) : new Target(pid.substring(0, tilde), pid.substring(tilde + 1));
    }

    private ConfigTree requireTree() {
        ConfigTree t = tree;
        if (t == null) throw new IllegalStateException("The configuration in " + root + " could not be read; see the log");
        return t;
    }
}
