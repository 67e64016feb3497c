package dev.strata.itests;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Enumeration;
import java.util.function.Consumer;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/** Builds test jars: a bundle with an edited manifest, a bundle that cannot resolve, a plain jar. */
final class Jars {
    private Jars() {
    }

    /** Copies {@code source} with its manifest edited by {@code edit}. */
    static Path withManifest(Path source, Path target, Consumer<Attributes> edit) throws IOException {
        Path tmp = Files.createTempFile(target.getParent() == null ? Path.of(".") : Files.createDirectories(StrataServer.WORK), "jar", ".tmp");
        try (JarFile in = new JarFile(source.toFile())) {
            Manifest mf = new Manifest(in.getManifest());
            edit.accept(mf.getMainAttributes());
            try (OutputStream os = Files.newOutputStream(tmp); JarOutputStream out = new JarOutputStream(os, mf)) {
                Enumeration<JarEntry> entries = in.entries();
                while (entries.hasMoreElements()) {
                    JarEntry e = entries.nextElement();
                    if (e.getName().equals(JarFile.MANIFEST_NAME)) continue;
                    out.putNextEntry(new JarEntry(e.getName()));
                    try (InputStream is = in.getInputStream(e)) {
                        is.transferTo(out);
                    }
                    out.closeEntry();
                }
            }
        }
        return Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** A bundle importing a package nobody exports. */
    static Path unresolvable(Path target) throws IOException {
        Manifest mf = new Manifest();
        Attributes a = mf.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Bundle-ManifestVersion", "2");
        a.putValue("Bundle-SymbolicName", "org.example.broken");
        a.putValue("Bundle-Version", "1.0.0");
        a.putValue("Import-Package", "com.nonexistent.api;version=\"[1.0,2)\"");
        return write(target, mf);
    }

    /** A jar without a bundle manifest. */
    static Path notABundle(Path target) throws IOException {
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        return write(target, mf);
    }

    private static Path write(Path target, Manifest mf) throws IOException {
        Path tmp = Files.createTempFile(Files.createDirectories(StrataServer.WORK), "jar", ".tmp");
        try (OutputStream os = Files.newOutputStream(tmp); JarOutputStream out = new JarOutputStream(os, mf)) {
            out.putNextEntry(new JarEntry("README.txt"));
            out.write("test jar".getBytes());
            out.closeEntry();
        }
        return Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
