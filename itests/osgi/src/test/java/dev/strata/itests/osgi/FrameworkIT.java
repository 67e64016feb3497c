package dev.strata.itests.osgi;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import javax.inject.Inject;

import org.junit.After;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.ConfigurationAdmin;

import dev.strata.itests.StrataOptions;

/**
 * The distribution's bundles in a real Felix, started as {@code bin/strata start} starts them: everything resolves
 * and starts, a plugin's services come and go with it, ConfigAdmin reaches a running component's {@code @Modified},
 * and a plugin that cannot resolve is reported by the console, not left half there.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class FrameworkIT {
    @Inject
    private BundleContext context;

    @Inject
    private ConfigurationAdmin configAdmin;

    private Bundle motd;

    @Configuration
    public Option[] config() {
        return new Option[] {StrataOptions.server("framework")};
    }

    @After
    public void uninstall() throws Exception {
        if (motd != null && motd.getState() != Bundle.UNINSTALLED) motd.uninstall();
        org.osgi.service.cm.Configuration[] left = configAdmin.listConfigurations("(service.pid=strata.motd)");
        if (left != null) for (org.osgi.service.cm.Configuration c : left) c.delete();
    }

    private Bundle installMotd() throws Exception {
        try (InputStream in = Files.newInputStream(Path.of(System.getProperty("strata.motd.jar")))) {
            motd = context.installBundle("test:motd", in);
        }
        motd.start();
        return motd;
    }

    private ServiceReference<?> motdService() {
        try {
            ServiceReference<?>[] refs = context.getAllServiceReferences(null, "(osgi.command.scope=motd)");
            return refs == null ? null : refs[0];
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String show(Object service) throws Exception {
        return (String) service.getClass().getMethod("show").invoke(service);
    }

    @Test
    public void everyBundleAndEveryFeatureStartsAndClientsAreServed() throws Exception {
        Console.await("every bundle ACTIVE", () -> Arrays.stream(context.getBundles())
                .allMatch(b -> b.getState() == Bundle.ACTIVE || b.getHeaders().get(Constants.FRAGMENT_HOST) != null));
        List<String> names = Arrays.stream(context.getBundles()).map(Bundle::getSymbolicName).toList();
        Path features = Path.of(System.getProperty("strata.home"), "features");
        List<Path> files;
        try (var s = Files.list(features)) {
            files = s.filter(p -> p.toString().endsWith(".feature")).toList();
        }
        assertFalse("the distribution ships features", files.isEmpty());
        for (Path f : files) {
            Properties p = new Properties();
            try (InputStream in = Files.newInputStream(f)) {
                p.load(in);
            }
            for (String bsn : p.getProperty("bundles").split(",")) {
                assertTrue(f.getFileName() + " names " + bsn.strip() + ", which is installed", names.contains(bsn.strip()));
            }
        }
        String list = Console.run(context, "feature:list");
        for (Path f : files) assertTrue(list, list.contains(f.getFileName().toString().replace(".feature", "")));
        assertTrue(Console.run(context, "module:list"), Console.run(context, "module:list").contains("xep-0199-ping"));

        // the client port answers with a stream header, as it does for bin/strata start
        int port = Integer.getInteger("strata.test.c2s.port");
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(15_000);
            OutputStream out = s.getOutputStream();
            out.write("<?xml version='1.0'?><stream:stream to='localhost' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"
                    .getBytes());
            out.flush();
            StringBuilder got = new StringBuilder();
            byte[] buf = new byte[4096];
            while (!got.toString().contains("</stream:features>")) {
                int n = s.getInputStream().read(buf);
                if (n < 0) break;
                got.append(new String(buf, 0, n));
            }
            assertTrue(got.toString(), got.toString().contains("urn:ietf:params:xml:ns:xmpp-tls"));
        }
    }

    @Test
    public void aPluginsServicesComeAndGoWithIt() throws Exception {
        installMotd();
        Console.await("the motd command service", () -> motdService() != null);
        motd.stop();
        assertNull(motdService());
        motd.start();
        Console.await("the motd command service again", () -> motdService() != null);
        motd.uninstall();
        assertNull(motdService());
    }

    @Test
    public void configAdminReachesTheRunningComponentThroughModified() throws Exception {
        installMotd();
        Console.await("the motd command service", () -> motdService() != null);
        Object component = context.getService(motdService());
        assertEquals("Welcome to Strata.", show(component));

        org.osgi.service.cm.Configuration c = configAdmin.getConfiguration("strata.motd", "?");
        Dictionary<String, Object> props = new Hashtable<>();
        props.put("message", "Changed by ConfigAdmin");
        c.update(props);
        Console.await("@Modified", () -> {
            try {
                return show(component).equals("Changed by ConfigAdmin");
            } catch (Exception e) {
                return false;
            }
        });
        assertSame("the same component instance, modified, not re-created", component, context.getService(motdService()));
    }

    /** A bundle whose manifest imports a package nothing exports: the smallest plugin that cannot resolve. */
    private static Path unresolvablePlugin(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path jar = dir.resolve("needs-missing-1.0.0.jar");
        try (OutputStream out = Files.newOutputStream(jar)) {
            BundleJar.write(out, "org.example.needsmissing",
                    Map.of(Constants.BUNDLE_VERSION, "1.0.0", Constants.IMPORT_PACKAGE, "org.example.nowhere;version=\"[1,2)\""), Map.of());
        }
        return jar;
    }

    @Test
    public void aPluginWithAMissingImportIsReported() throws Exception {
        Path home = Path.of(System.getProperty("strata.home"));
        Path plugins = Path.of(System.getProperty("strata.plugins"));
        Path jar = unresolvablePlugin(home.resolve("build"));

        // module:load refuses it, says which package is missing, and leaves nothing in plugins/
        try {
            Console.run(context, "module:load " + jar);
            fail("module:load of a plugin that cannot resolve succeeded");
        } catch (Exception e) {
            assertTrue(e.getMessage(), e.getMessage().contains("org.example.nowhere"));
            assertTrue(e.getMessage(), e.getMessage().contains("removed from plugins/ again"));
        }
        assertFalse(Files.exists(plugins.resolve(jar.getFileName())));

        // dropped into plugins/ by hand, module:list shows it FAILED with the missing package
        Files.copy(jar, plugins.resolve(jar.getFileName()));
        try {
            List<String> lines = new ArrayList<>();
            Console.await("module:list reporting the plugin", () -> {
                try {
                    lines.clear();
                    lines.addAll(Console.run(context, "module:list").lines().toList());
                    return lines.stream().anyMatch(l -> l.contains("org.example.needsmissing") && l.contains("FAILED"))
                            && lines.stream().anyMatch(l -> l.contains("org.example.needsmissing: missing package") && l.contains("org.example.nowhere"));
                } catch (Exception e) {
                    return false;
                }
            });
            assertNotNull(lines);
        } finally {
            Files.delete(plugins.resolve(jar.getFileName()));
        }
        Console.await("FileInstall uninstalling the deleted plugin",
                () -> Arrays.stream(context.getBundles()).noneMatch(b -> "org.example.needsmissing".equals(b.getSymbolicName())));
    }
}
