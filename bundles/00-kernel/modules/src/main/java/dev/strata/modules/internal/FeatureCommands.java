package dev.strata.modules.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

import org.apache.felix.service.command.Descriptor;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

import dev.strata.api.console.ConsoleCommand;

/**
 * {@code feature:list|install|uninstall}. A feature is a named set of bundles, described by
 * {@code features/<name>.feature} (properties: {@code description}, {@code bundles} as a comma list
 * of symbolic names). Installing starts its bundles (installing them from system/ if needed);
 * uninstalling stops those no other installed feature needs.
 */
@ConsoleCommand(scope = "feature", function = {"list", "install", "uninstall"})
@Component(service = FeatureCommands.class)
public final class FeatureCommands {
    record Feature(String name, String description, List<String> bundles) {
    }

    private final BundleContext context;
    private final Modules modules;
    private final Path dir;

    @Activate
    public FeatureCommands(BundleContext context) {
        this.context = context;
        this.modules = new Modules(context);
        this.dir = modules.home.resolve("features");
    }

    Map<String, Feature> features() throws IOException {
        Map<String, Feature> features = new LinkedHashMap<>();
        if (!Files.isDirectory(dir)) return features;
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.toString().endsWith(".feature")).sorted().toList();
        }
        for (Path f : files) {
            Properties p = new Properties();
            try (InputStream in = Files.newInputStream(f)) {
                p.load(in);
            }
            String name = f.getFileName().toString().replace(".feature", "");
            List<String> bundles = new ArrayList<>();
            for (String b : p.getProperty("bundles", "").split(",")) if (!b.isBlank()) bundles.add(b.strip());
            features.put(name, new Feature(name, p.getProperty("description", ""), List.copyOf(bundles)));
        }
        return features;
    }

    private Bundle bundle(String bsn) {
        for (Bundle b : context.getBundles()) if (bsn.equals(b.getSymbolicName())) return b;
        return null;
    }

    private String state(Feature f) {
        int active = 0;
        for (String bsn : f.bundles()) {
            Bundle b = bundle(bsn);
            if (b != null && b.getState() == Bundle.ACTIVE) active++;
        }
        return active == f.bundles().size() ? "installed" : active == 0 ? "uninstalled" : "partial (" + active + "/" + f.bundles().size() + ")";
    }

    /** feature:list */
    @Descriptor("List the features (named sets of bundles) and whether they are installed")
    public String list() throws IOException {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"FEATURE", "STATE", "BUNDLES", "DESCRIPTION"});
        for (Feature f : features().values()) {
            rows.add(new String[] {f.name(), state(f), Integer.toString(f.bundles().size()), f.description()});
        }
        return ModuleCommands.table(rows);
    }

    private Feature feature(String name) throws IOException {
        Feature f = features().get(name);
        if (f == null) throw new IllegalArgumentException("Unknown feature: " + name + " (feature:list shows them; descriptors are in " + dir + ")");
        return f;
    }

    /** feature:install NAME */
    @Descriptor("Install a feature: start its bundles")
    public String install(@Descriptor("feature name") String name) throws IOException, BundleException {
        Feature f = feature(name);
        for (String bsn : f.bundles()) {
            Bundle b = bundle(bsn);
            if (b == null) b = modules.installFromSystem(bsn);
            if (b.getHeaders("").get("Fragment-Host") == null) {
                try {
                    b.start();
                } catch (BundleException e) {
                    throw new IllegalStateException("feature " + name + ": " + bsn + " cannot start: " + Modules.describe(e), e);
                }
            }
        }
        return name + " " + state(f);
    }

    /** feature:uninstall NAME */
    @Descriptor("Uninstall a feature: stop the bundles no other installed feature needs")
    public String uninstall(@Descriptor("feature name") String name) throws IOException, BundleException {
        Feature f = feature(name);
        List<String> needed = new ArrayList<>();
        for (Feature other : features().values()) {
            if (!other.name().equals(name) && state(other).equals("installed")) needed.addAll(other.bundles());
        }
        for (String bsn : f.bundles()) {
            if (ModuleCommands.PROTECTED.contains(bsn)) {
                throw new IllegalArgumentException("feature " + name + " contains " + bsn + ", which runs this console; it cannot be uninstalled");
            }
        }
        for (String bsn : f.bundles()) {
            Bundle b = bundle(bsn);
            if (b != null && !needed.contains(bsn) && b.getHeaders("").get("Fragment-Host") == null) b.stop();
        }
        return name + " " + state(f);
    }
}
