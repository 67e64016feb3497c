package dev.strata.itests.osgi;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/** Inside a real Felix with the distribution's bundles (the hot-reload contract: modules come and go, sessions stay, no class loader leaks). */
class FrameworkTest {
    private final BundleContext context = FrameworkUtil.getBundle(FrameworkTest.class).getBundleContext();
    private Bundle motd;

    @AfterEach
    void uninstall() throws Exception {
        if (motd != null && motd.getState() != Bundle.UNINSTALLED) motd.uninstall();
        for (Configuration c : orEmpty(configAdmin().listConfigurations("(service.pid=strata.motd)"))) c.delete();
    }

    private static Configuration[] orEmpty(Configuration[] c) {
        return c == null ? new Configuration[0] : c;
    }

    private ConfigurationAdmin configAdmin() {
        return context.getService(context.getServiceReference(ConfigurationAdmin.class));
    }

    private Bundle installMotd() throws Exception {
        try (InputStream in = FrameworkTest.class.getResourceAsStream("/motd.jar")) {
            motd = context.installBundle("test:motd", in);
        }
        motd.start();
        return motd;
    }

    private ServiceReference<?> motdService() {
        try {
            ServiceReference<?>[] refs = context.getAllServiceReferences(null, "(osgi.command.scope=motd)");
            return refs == null ? null : refs[0];
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String show(Object service) throws Exception {
        return (String) service.getClass().getMethod("show").invoke(service);
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("Timed out waiting for " + what);
            Thread.sleep(50);
        }
    }

    @Test
    void everyBundleResolvesAndStarts() throws Exception {
        await("every bundle ACTIVE", () -> Arrays.stream(context.getBundles())
                .allMatch(b -> b.getState() == Bundle.ACTIVE || b.getHeaders().get(Constants.FRAGMENT_HOST) != null));
        assertThat(context.getBundles()).extracting(Bundle::getSymbolicName)
                .contains("dev.strata.api", "dev.strata.config", "dev.strata.modules", "org.apache.felix.scr", "org.apache.felix.configadmin");
        assertThat(context.getAllServiceReferences(null, "(osgi.command.scope=module)")).as("module:* commands").isNotNull();
        assertThat(context.getAllServiceReferences(null, "(osgi.command.scope=config)")).as("config:* commands").isNotNull();
    }

    @Test
    void aPluginsServicesComeAndGoWithIt() throws Exception {
        installMotd();
        await("the motd command service", () -> motdService() != null);
        motd.stop();
        assertThat(motdService()).isNull();
        motd.start();
        await("the motd command service again", () -> motdService() != null);
        motd.uninstall();
        assertThat(motdService()).isNull();
    }

    @Test
    void configurationReachesTheRunningComponentThroughModified() throws Exception {
        installMotd();
        await("the motd command service", () -> motdService() != null);
        Object component = context.getService(motdService());
        assertThat(show(component)).isEqualTo("Welcome to Strata.");

        Configuration c = configAdmin().getConfiguration("strata.motd", "?");
        Dictionary<String, Object> props = new Hashtable<>();
        props.put("message", "Changed by ConfigAdmin");
        c.update(props);
        await("@Modified", () -> {
            try {
                return show(component).equals("Changed by ConfigAdmin");
            } catch (Exception e) {
                return false;
            }
        });
        assertThat(context.getService(motdService())).as("the same component instance, modified, not re-created").isSameAs(component);
    }

    @Test
    void reloadingAModuleManyTimesLeaksNoClassLoader() throws Exception {
        installMotd();
        FrameworkWiring fw = context.getBundle(0).adapt(FrameworkWiring.class);
        List<WeakReference<ClassLoader>> old = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            await("motd ACTIVE", () -> motd.getState() == Bundle.ACTIVE && motdService() != null);
            Object service = context.getService(motdService());
            old.add(new WeakReference<>(motd.adapt(BundleWiring.class).getClassLoader()));
            assertThat(service.getClass().getClassLoader()).isSameAs(old.getLast().get());
            context.ungetService(motdService());
            service = null;
            try (InputStream in = FrameworkTest.class.getResourceAsStream("/motd.jar")) {
                motd.update(in);
            }
            CountDownLatch refreshed = new CountDownLatch(1);
            fw.refreshBundles(List.of(motd), e -> refreshed.countDown());
            assertThat(refreshed.await(20, TimeUnit.SECONDS)).isTrue();
        }
        await("every old class loader collected", () -> {
            System.gc();
            return old.stream().allMatch(r -> r.get() == null);
        });
    }
}
