package dev.strata.config.check;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The layered configuration tree (stack < policies < environments < strata.cfg), merged into one set of properties per PID.
 * Layers, lowest first: {@code stack/<layer>/<pid>.cfg} (the file name is the PID), then
 * {@code policies/*.cfg}, then {@code environments/<environment>.cfg}, then {@code strata.cfg}
 * (whose leading keys belong to PID {@code strata}). {@code domains/<domain>.cfg} are factory
 * configurations of PID {@code strata.domain}. Inside a file, {@code [pid]} starts a section;
 * values may use {@code ${env:NAME}} and {@code ${env:NAME:-default}}. Plain Java (no OSGi), so
 * {@code strata check} can run it with the server stopped.
 */
public final class ConfigTree {
    public static final String SERVER_PID = "strata";
    public static final String DOMAIN_FACTORY_PID = "strata.domain";
    private static final Pattern ENV = Pattern.compile("\\$\\{env:([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?}");

    /** The first environment variable a value as written follows ({@code ${env:NAME...}}), if any. */
    public static Optional<String> environmentVariable(String raw) {
        Matcher m = ENV.matcher(raw);
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }
    private static final Pattern SECTION = Pattern.compile("\\[\\s*([A-Za-z0-9_.~-]+)\\s*]");

    /** Where a value was set: the file (relative to the tree), its line, and the raw text. */
    public record Source(Path file, int line, String raw) {
        @Override
        public String toString() {
            return file + ":" + line;
        }
    }

    /** One effective setting of a configuration. */
    public record Setting(String value, Source source) {
    }

    /** A configuration target: a PID, or a factory PID with a name. */
    public record Target(String pid, String factoryName) implements Comparable<Target> {
        public boolean isFactory() {
            return factoryName != null;
        }

        @Override
        public int compareTo(Target o) {
            return toString().compareTo(o.toString());
        }

        @Override
        public String toString() {
            return factoryName == null ? pid : pid + "~" + factoryName;
        }
    }

    /** A problem found while reading: file and line, and what is wrong. */
    public record Problem(Path file, int line, String pid, String key, String reason) {
        @Override
        public String toString() {
            return file + (line > 0 ? ":" + line : "") + ": " + (pid == null ? "" : "[" + pid + "] ")
                    + (key == null ? "" : key + ": ") + reason;
        }
    }

    private final Path root;
    private final Map<Target, Map<String, Setting>> targets = new TreeMap<>();
    private final Map<Target, List<Map<String, Setting>>> sections = new TreeMap<>();
    private final List<Problem> problems = new ArrayList<>();
    private final List<Path> files = new ArrayList<>();
    private final UnaryOperator<String> env;
    private String environment = "development";

    private ConfigTree(Path root, UnaryOperator<String> env) {
        this.root = root;
        this.env = env;
    }

    /** Reads and merges the tree at {@code root}, resolving {@code ${env:}} through {@code env}. */
    public static ConfigTree read(Path root, UnaryOperator<String> env) throws IOException {
        ConfigTree tree = new ConfigTree(root, env);
        tree.load();
        return tree;
    }

    private void load() throws IOException {
        Path server = root.resolve("strata.cfg");
        Map<Target, Map<String, Setting>> serverLayer = Files.isRegularFile(server) ? parse(server, new Target(SERVER_PID, null)) : Map.of();
        Setting env = serverLayer.getOrDefault(new Target(SERVER_PID, null), Map.of()).get("environment");
        if (env != null && !env.value().isBlank()) environment = env.value().strip();

        for (Path f : cfgFiles(root.resolve("stack"), true)) {
            String name = f.getFileName().toString();
            String pid = name.substring(0, name.length() - ".cfg".length());
            int tilde = pid.indexOf('~');
            merge(parse(f, tilde < 0 ? new Target(pid, null) : new Target(pid.substring(0, tilde), pid.substring(tilde + 1))));
        }
        for (Path f : cfgFiles(root.resolve("policies"), false)) merge(parse(f, null));
        Path envFile = root.resolve("environments").resolve(environment + ".cfg");
        if (Files.isRegularFile(envFile)) {
            merge(parse(envFile, null));
        } else if (Files.isDirectory(root)) {
            problems.add(new Problem(rel(server), 0, SERVER_PID, "environment",
                    "environment '" + environment + "' has no file environments/" + environment + ".cfg"));
        }
        for (Path f : cfgFiles(root.resolve("domains"), false)) {
            String name = f.getFileName().toString();
            merge(parse(f, new Target(DOMAIN_FACTORY_PID, name.substring(0, name.length() - ".cfg".length()))));
        }
        merge(serverLayer);
    }

    private List<Path> cfgFiles(Path dir, boolean recursive) throws IOException {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = recursive ? Files.walk(dir) : Files.list(dir)) {
            return s.filter(p -> Files.isRegularFile(p) && p.getFileName().toString().endsWith(".cfg")).sorted().toList();
        }
    }

    private void merge(Map<Target, Map<String, Setting>> layer) {
        layer.forEach((t, settings) -> {
            targets.computeIfAbsent(t, k -> new LinkedHashMap<>()).putAll(settings);
            sections.computeIfAbsent(t, k -> new ArrayList<>()).add(settings);
        });
    }

    private Map<Target, Map<String, Setting>> parse(Path file, Target initial) throws IOException {
        files.add(file);
        Map<Target, Map<String, Setting>> result = new LinkedHashMap<>();
        Target section = initial;
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        Path shown = rel(file);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            int no = i + 1;
            if (line.isEmpty() || line.startsWith("#") || line.startsWith("!")) continue;
            Matcher sm = SECTION.matcher(line);
            if (sm.matches()) {
                String pid = sm.group(1);
                int tilde = pid.indexOf('~');
                section = tilde < 0 ? new Target(pid, null) : new Target(pid.substring(0, tilde), pid.substring(tilde + 1));
                continue;
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                problems.add(new Problem(shown, no, null, null, "expected 'key = value' or '[pid]', found: " + line));
                continue;
            }
            String key = line.substring(0, eq).strip();
            String raw = line.substring(eq + 1).strip();
            if (section == null) {
                problems.add(new Problem(shown, no, null, key, "key outside a [pid] section"));
                continue;
            }
            String value = interpolate(raw, shown, no, section.pid(), key);
            if (value == null) continue;
            result.computeIfAbsent(section, k -> new LinkedHashMap<>()).put(key, new Setting(value, new Source(shown, no, raw)));
        }
        return result;
    }

    private String interpolate(String raw, Path file, int line, String pid, String key) {
        Matcher m = ENV.matcher(raw);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String v = env.apply(m.group(1));
            if (v == null || (v.isEmpty() && m.group(2) != null)) v = m.group(3);
            if (v == null) {
                problems.add(new Problem(file, line, pid, key, "environment variable " + m.group(1) + " is not set and has no default"));
                return null;
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(v));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    private Path rel(Path file) {
        Path parent = root.toAbsolutePath().getParent();
        return parent == null ? file : parent.relativize(file.toAbsolutePath());
    }

    /** The merged settings per target, in a stable order. */
    public Map<Target, Map<String, Setting>> targets() {
        return targets;
    }

    /**
     * Every section that sets something for {@code target}, lowest layer first: each is validated,
     * so a bad value is reported even where a higher layer overrides it.
     */
    public List<Map<String, Setting>> sections(Target target) {
        return sections.getOrDefault(target, List.of());
    }

    public List<Problem> problems() {
        return problems;
    }

    /** Every .cfg file that was read, in layer order. */
    public List<Path> files() {
        return files;
    }

    public String environment() {
        return environment;
    }
}
