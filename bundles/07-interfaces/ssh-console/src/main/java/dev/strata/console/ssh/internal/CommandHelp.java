package dev.strata.console.ssh.internal;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;

/**
 * What the console says about its commands, read from the services that declare them
 * ({@code osgi.command.scope} and {@code osgi.command.function}) and their {@link Descriptor}
 * texts: {@code help} lists Strata's commands by scope, one line each (the framework's, such as
 * {@code felix:} and {@code scr:}, only with {@code help all}), and a command called the wrong
 * way gets its usage instead of Gogo's "Cannot coerce".
 */
final class CommandHelp {
    /** One command: {@code scope:name}, what it does, one usage line per way to call it, and whether Strata declared it. */
    record Command(String scope, String name, String description, List<String> usages, boolean strata) {
        String qualified() {
            return scope + ":" + name;
        }
    }

    private final List<Command> commands;

    private CommandHelp(List<Command> commands) {
        this.commands = commands;
    }

    /** The commands registered now. */
    static CommandHelp of(BundleContext context) {
        List<Command> commands = new ArrayList<>();
        ServiceReference<?>[] refs;
        try {
            refs = context.getAllServiceReferences(null, "(osgi.command.scope=*)");
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        for (ServiceReference<?> ref : refs == null ? new ServiceReference<?>[0] : refs) {
            String scope = String.valueOf(ref.getProperty("osgi.command.scope"));
            Object f = ref.getProperty("osgi.command.function");
            List<String> functions = f instanceof String[] a ? List.of(a) : f instanceof String s ? List.of(s) : List.of();
            boolean strata = ref.getBundle() != null && ref.getBundle().getSymbolicName() != null
                    && ref.getBundle().getSymbolicName().startsWith("dev.strata");
            Object service = context.getService(ref);
            if (service == null) continue;
            try {
                for (String name : functions) commands.add(describe(scope, name, service.getClass(), strata));
            } finally {
                context.ungetService(ref);
            }
        }
        return of(commands);
    }

    /** These commands, sorted by scope and name. */
    static CommandHelp of(List<Command> commands) {
        List<Command> sorted = new ArrayList<>(commands);
        sorted.sort(Comparator.comparing(Command::scope).thenComparing(Command::name));
        return new CommandHelp(sorted);
    }

    static Command describe(String scope, String name, Class<?> type, boolean strata) {
        String description = "";
        List<String> usages = new ArrayList<>();
        List<Method> methods = new ArrayList<>();
        for (Method m : type.getMethods()) {
            if (m.getName().equals(name)) methods.add(m);
        }
        // the plain forms first (a form that reads the session's input describes itself as a variant)
        methods.sort(Comparator.comparing((Method m) -> takesSession(m)).thenComparingInt(Method::getParameterCount));
        for (Method m : methods) {
            Descriptor d = m.getAnnotation(Descriptor.class);
            if (d != null && description.isEmpty()) description = d.value();
            StringBuilder usage = new StringBuilder(scope).append(':').append(name);
            var params = m.getParameters();
            for (int i = 0; i < params.length; i++) {
                if (params[i].getType() == CommandSession.class) continue; // Gogo passes it, not the admin
                Parameter option = params[i].getAnnotation(Parameter.class);
                Descriptor pd = params[i].getAnnotation(Descriptor.class);
                String what = pd != null ? pd.value() : params[i].getType().getSimpleName().toLowerCase(Locale.ROOT);
                if (option != null) {
                    boolean flag = !Parameter.UNSPECIFIED.equals(option.presentValue());
                    usage.append(" [").append(option.names()[0]).append(flag ? "" : " <" + what + ">").append(']');
                } else {
                    usage.append(" <").append(what).append('>');
                }
            }
            if (!usages.contains(usage.toString())) usages.add(usage.toString());
        }
        return new Command(scope, name, description, usages, strata);
    }

    private static boolean takesSession(Method m) {
        return m.getParameterCount() > 0 && m.getParameterTypes()[0] == CommandSession.class;
    }

    /** {@code help}: Strata's commands by scope (they are kept sorted so); with {@code all}, the framework's after them. */
    String list(boolean all) {
        StringBuilder sb = new StringBuilder();
        int width = commands.stream().filter(c -> all || c.strata()).mapToInt(c -> c.qualified().length()).max().orElse(10) + 2;
        append(sb, true, width);
        if (all) {
            sb.append("\nFramework commands (Apache Felix, Gogo, SCR, ConfigAdmin):\n");
            append(sb, false, width);
        } else {
            sb.append("\n'help COMMAND' shows how to call one; 'help all' adds the framework's ")
                    .append(commands.stream().filter(c -> !c.strata()).count()).append(" commands (felix:, gogo:, scr:, cm:).\n");
        }
        return sb.toString();
    }

    /** {@code help COMMAND}: its description and usage, or empty when there is no such command. */
    Optional<String> about(String command) {
        List<Command> matches = find(command);
        if (matches.isEmpty()) return Optional.empty();
        StringBuilder sb = new StringBuilder();
        for (Command c : matches) {
            sb.append(c.qualified()).append(c.description().isEmpty() ? "" : ": " + c.description()).append('\n');
            for (String u : c.usages()) sb.append("  usage: ").append(u).append('\n');
        }
        return Optional.of(sb.toString());
    }

    /** The commands a name means: {@code scope:name}, or {@code name} in any scope (Strata's first). */
    List<Command> find(String command) {
        List<Command> found = new ArrayList<>();
        for (Command c : commands) {
            if (command.contains(":") ? c.qualified().equals(command) : c.name().equals(command)) found.add(c);
        }
        found.sort(Comparator.comparing((Command c) -> !c.strata()));
        if (!command.contains(":") && found.stream().anyMatch(Command::strata)) found.removeIf(c -> !c.strata());
        return found;
    }

    private void append(StringBuilder sb, boolean strata, int width) {
        for (Command c : commands) {
            if (c.strata() == strata) sb.append("  ").append(String.format(Locale.ROOT, "%-" + width + "s", c.qualified())).append(c.description()).append('\n');
        }
    }
}
