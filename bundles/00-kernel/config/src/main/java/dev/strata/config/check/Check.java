package dev.strata.config.check;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import dev.strata.config.check.ConfigTree.Problem;

/**
 * {@code strata check}: validates the whole config tree against the metatype of the bundles in
 * {@code system/} and {@code plugins/}, with the server stopped. Prints one line per problem
 * (file:line: [pid] key: reason) and exits 1 if there is any, 0 otherwise. Configurations no module declares
 * are warnings (WARN), as the running server logs them: kept for the plugin that will declare them.
 */
public final class Check {
    private Check() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: Check <config dir> <bundle dir>...");
            System.exit(2);
        }
        Path config = Path.of(args[0]);
        Metatype metatype = new Metatype();
        for (int i = 1; i < args.length; i++) addJars(metatype, Path.of(args[i]));
        ConfigTree tree = ConfigTree.read(config, System::getenv);
        List<Problem> problems = Validator.validate(tree, metatype);
        problems.forEach(p -> System.out.println("ERROR " + p));
        Validator.undeclared(tree, metatype).forEach(p -> System.out.println("WARN " + p));
        System.out.println(problems.isEmpty()
                ? "OK: " + tree.files().size() + " files, " + tree.targets().size() + " configurations, environment " + tree.environment()
                : problems.size() + " problem(s) in " + config);
        System.exit(problems.isEmpty() ? 0 : 1);
    }

    /** Adds the metatype of every bundle jar in {@code dir}. */
    public static void addJars(Metatype metatype, Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return;
        List<Path> jars;
        try (Stream<Path> s = Files.list(dir)) {
            jars = s.filter(p -> p.toString().endsWith(".jar")).sorted().toList();
        }
        for (Path jar : jars) {
            try (JarFile jf = new JarFile(jar.toFile())) {
                Manifest mf = jf.getManifest();
                String bsn = mf == null ? null : mf.getMainAttributes().getValue("Bundle-SymbolicName");
                if (bsn == null) continue;
                String layer = mf.getMainAttributes().getValue("Strata-Layer");
                Enumeration<JarEntry> entries = jf.entries();
                while (entries.hasMoreElements()) {
                    JarEntry e = entries.nextElement();
                    if (e.getName().startsWith("OSGI-INF/metatype/") && e.getName().endsWith(".xml")) {
                        try (InputStream in = jf.getInputStream(e)) {
                            metatype.add(in, bsn.split(";")[0].strip(), layer);
                        }
                    }
                }
            } catch (IOException e) {
                System.out.println("WARN " + jar + ": not readable as a jar (" + e.getMessage() + ")");
            }
        }
    }
}
