package dev.strata.console.ssh.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.metatype.AttributeDefinition;
import org.osgi.service.metatype.MetaTypeInformation;
import org.osgi.service.metatype.MetaTypeService;
import org.osgi.service.metatype.ObjectClassDefinition;

import dev.strata.api.Jid;
import dev.strata.api.auth.AccountStore;
import dev.strata.api.auth.LoginThrottle;
import dev.strata.api.server.ServerInfo;
import dev.strata.api.stanza.Session;
import dev.strata.api.stanza.SessionRegistry;

/** The names {@link Completions} offers, read from the running server each time Tab is pressed; a service that is not there offers none. */
final class ServerNames {
    private ServerNames() {
    }

    static Completions.Sources of(BundleContext context, Supplier<Collection<String>> commands) {
        return new Completions.Sources(commands, () -> modules(context), () -> features(context), () -> pids(context),
                pid -> keys(context, pid), () -> sessions(context), () -> accounts(context), () -> lockouts(context));
    }

    /** What module:* takes: Strata's modules by name, plugins by symbolic name. */
    static Collection<String> modules(BundleContext context) {
        TreeSet<String> names = new TreeSet<>();
        for (Bundle b : context.getBundles()) {
            String module = b.getHeaders("").get("Strata-Module");
            if (module != null) names.add(module);
            else if (b.getLocation().startsWith("file:") && b.getSymbolicName() != null) names.add(b.getSymbolicName());
        }
        return names;
    }

    static Collection<String> features(BundleContext context) {
        String home = context.getProperty("strata.home");
        Path dir = Path.of(home == null ? "." : home, "features");
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".feature")).map(n -> n.substring(0, n.length() - 8)).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** Configurations that exist, and those the installed bundles declare (factory PIDs as they are: the file names add {@code ~name}). */
    static Collection<String> pids(BundleContext context) {
        TreeSet<String> pids = new TreeSet<>();
        with(context, ConfigurationAdmin.class, cm -> {
            try {
                Configuration[] all = cm.listConfigurations(null);
                if (all != null) for (Configuration c : all) pids.add(c.getPid());
            } catch (IOException | InvalidSyntaxException e) {
                // none then
            }
            return null;
        });
        with(context, MetaTypeService.class, mts -> {
            for (Bundle b : context.getBundles()) {
                MetaTypeInformation info = mts.getMetaTypeInformation(b);
                if (info == null) continue;
                pids.addAll(List.of(info.getPids()));
                pids.addAll(List.of(info.getFactoryPids()));
            }
            return null;
        });
        return pids;
    }

    /** The keys the metatype of {@code pid} declares ({@code factory~name} looks up the factory). */
    static Collection<String> keys(BundleContext context, String pid) {
        String declared = pid.contains("~") ? pid.substring(0, pid.indexOf('~')) : pid;
        List<String> keys = new ArrayList<>();
        with(context, MetaTypeService.class, mts -> {
            for (Bundle b : context.getBundles()) {
                MetaTypeInformation info = mts.getMetaTypeInformation(b);
                if (info == null || !List.of(info.getPids()).contains(declared) && !List.of(info.getFactoryPids()).contains(declared)) continue;
                ObjectClassDefinition ocd = info.getObjectClassDefinition(declared, null);
                AttributeDefinition[] ads = ocd == null ? null : ocd.getAttributeDefinitions(ObjectClassDefinition.ALL);
                if (ads != null) for (AttributeDefinition ad : ads) keys.add(ad.getID());
            }
            return null;
        });
        return keys;
    }

    static Collection<String> sessions(BundleContext context) {
        List<String> jids = with(context, SessionRegistry.class, r -> r.all().stream().map(Session::jid).map(Jid::toString).sorted().toList());
        return jids == null ? List.of() : jids;
    }

    static Collection<String> accounts(BundleContext context) {
        List<String> domains = with(context, ServerInfo.class, ServerInfo::domains);
        if (domains == null) return List.of();
        List<String> accounts = with(context, AccountStore.class,
                store -> domains.stream().flatMap(d -> store.list(d).stream()).map(Jid::toString).sorted().toList());
        return accounts == null ? List.of() : accounts;
    }

    /** The addresses and accounts the login throttle holds failures of. */
    static Collection<String> lockouts(BundleContext context) {
        TreeSet<String> names = new TreeSet<>();
        with(context, LoginThrottle.class, t -> {
            for (LoginThrottle.Lockout l : t.lockouts()) {
                if (l.address() != null) names.add(l.address());
                if (l.account() != null) names.add(l.account());
            }
            return null;
        });
        return names;
    }

    private static <S, T> T with(BundleContext context, Class<S> type, Function<S, T> use) {
        ServiceReference<S> ref = context.getServiceReference(type);
        S service = ref == null ? null : context.getService(ref);
        if (service == null) return null;
        try {
            return use.apply(service);
        } finally {
            context.ungetService(ref);
        }
    }
}
