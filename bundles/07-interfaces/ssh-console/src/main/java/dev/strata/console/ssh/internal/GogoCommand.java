package dev.strata.console.ssh.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;
import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;
import org.osgi.framework.BundleContext;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Attributes;
import org.jline.terminal.Size;
import org.jline.terminal.Terminal;
import org.jline.terminal.impl.ExternalTerminal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One SSH channel bridged to a Gogo session: with a command ({@code ssh host module:list}) it
 * runs it, prints the result and exits 0, or prints one error line and exits 1; without one it
 * is an interactive console with line editing, history and tab completion of command names.
 */
final class GogoCommand implements Command {
    private static final Logger LOG = LoggerFactory.getLogger(GogoCommand.class);

    private final CommandProcessor processor;
    private final BundleContext context;
    private final String command;
    private InputStream in;
    private OutputStream out;
    private OutputStream err;
    private ExitCallback exit;
    private Thread thread;

    GogoCommand(CommandProcessor processor, BundleContext context, String command) {
        this.processor = processor;
        this.context = context;
        this.command = command;
    }

    @Override
    public void setInputStream(InputStream in) {
        this.in = in;
    }

    @Override
    public void setOutputStream(OutputStream out) {
        this.out = out;
    }

    @Override
    public void setErrorStream(OutputStream err) {
        this.err = err;
    }

    @Override
    public void setExitCallback(ExitCallback callback) {
        this.exit = callback;
    }

    @Override
    public void start(ChannelSession channel, Environment env) {
        String user = channel.getSession().getUsername();
        thread = Thread.ofVirtual().name("ssh-console-" + user).start(() -> {
            int status;
            try {
                status = command != null ? exec(user) : interactive(user, env);
            } catch (Exception e) {
                LOG.warn("Console session of {} failed: {}", user, e.toString());
                status = 1;
            }
            exit.onExit(status);
        });
    }

    private int exec(String user) {
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        CommandSession session = processor.createSession(in, o, e);
        try {
            LOG.info("Console command by {}: {}", user, redacted(command));
            return run(session, command, o, e, context) ? 0 : 1;
        } finally {
            session.close();
        }
    }

    /** A word without the single or double quotes around it. */
    static String unquoted(String word) {
        if (word.length() >= 2 && (word.startsWith("'") && word.endsWith("'") || word.startsWith("\"") && word.endsWith("\""))) {
            return word.substring(1, word.length() - 1);
        }
        return word;
    }

    /** What clears an ANSI terminal: cursor home, erase the screen. */
    static final String CLEAR = "\u001b[H\u001b[2J";

    /**
     * Runs one command line; prints its result, or its error as one line (with the command's usage
     * when it was called the wrong way). {@code help} and {@code clear} are the console's own. True
     * when it succeeded.
     */
    static boolean run(CommandSession session, String line, PrintStream o, PrintStream e, BundleContext context) {
        String[] words = line.strip().split("\\s+");
        for (int i = 0; i < words.length; i++) words[i] = unquoted(words[i]); // strata shell quotes each argument
        if (words[0].equals("help") && words.length <= 2) {
            CommandHelp help = CommandHelp.of(context);
            if (words.length == 1 || words[1].equals("all")) {
                o.print(help.list(words.length == 2));
                o.flush();
                return true;
            }
            Optional<String> about = help.about(words[1]);
            if (about.isPresent()) {
                o.print(about.get());
                o.flush();
                return true;
            }
            e.println("Error: no command " + words[1] + "; 'help' lists them");
            e.flush();
            return false;
        }
        if (words[0].equals("clear") && words.length == 1) { // Gogo's own needs a JLine terminal the session does not have
            o.print(CLEAR);
            o.flush();
            return true;
        }
        try {
            Object result = session.execute(line);
            if (result != null) o.println(session.format(result, Converter.INSPECT));
            o.flush();
            return true;
        } catch (Exception ex) {
            Throwable t = ex;
            while (t.getCause() != null && (t.getMessage() == null || t instanceof java.lang.reflect.InvocationTargetException)) {
                t = t.getCause();
            }
            String message = t.getMessage() == null ? t.toString() : t.getMessage();
            if (message.startsWith("Cannot coerce ")) {
                // Gogo found the command but no method takes these arguments
                List<CommandHelp.Command> found = CommandHelp.of(context).find(words[0]);
                if (!found.isEmpty()) {
                    e.println("Error: " + words[0] + (words.length == 1 ? " needs arguments:" : " does not take these arguments:"));
                    for (CommandHelp.Command c : found) for (String u : c.usages()) e.println("  usage: " + u);
                    e.flush();
                    return false;
                }
            }
            if (message.startsWith("Command not found")) message += "; 'help' lists the commands";
            e.println("Error: " + message);
            e.flush();
            return false;
        }
    }

    private int interactive(String user, Environment env) throws IOException {
        // A pure-Java line discipline over the channel streams: no native pty, no provider lookup.
        Terminal terminal = new ExternalTerminal("strata-ssh", env.getEnv().getOrDefault(Environment.ENV_TERM, "xterm"), in, out, StandardCharsets.UTF_8);
        terminal.setSize(new Size(intEnv(env, Environment.ENV_COLUMNS, 120), intEnv(env, Environment.ENV_LINES, 40)));
        Attributes attrs = terminal.getAttributes();
        attrs.setOutputFlag(Attributes.OutputFlag.OPOST, true);
        attrs.setOutputFlag(Attributes.OutputFlag.ONLCR, true);
        terminal.setAttributes(attrs);
        PrintStream o = new PrintStream(terminal.output(), true, StandardCharsets.UTF_8);
        CommandSession session = processor.createSession(terminal.input(), o, o);
        LineReader reader = LineReaderBuilder.builder().terminal(terminal).appName("strata")
                .completer(new Completions(ServerNames.of(context, () -> commands(session)))).build();
        LOG.info("Console session opened by {}", user);
        o.println("Strata admin console. module:list, feature:list, config:get, log:tail; 'help' lists the commands; 'exit' leaves.");
        try {
            while (true) {
                String line;
                try {
                    line = reader.readLine("strata> ");
                } catch (UserInterruptException e) {
                    continue;
                } catch (EndOfFileException e) {
                    break;
                }
                line = line.strip();
                if (line.isEmpty()) continue;
                if (line.equals("exit") || line.equals("quit") || line.equals("logout")) break;
                LOG.info("Console command by {}: {}", user, redacted(line));
                run(session, line, o, o, context);
            }
        } finally {
            session.close();
            terminal.close();
            LOG.info("Console session closed by {}", user);
        }
        return 0;
    }

    /** The command name and how many arguments it had: arguments may be passwords, and logs must never hold one. */
    static String redacted(String line) {
        String[] words = line.strip().split("\\s+");
        for (int i = 0; i < words.length; i++) words[i] = unquoted(words[i]); // strata shell quotes each argument
        return words.length == 1 ? words[0] : words[0] + " (" + (words.length - 1) + (words.length == 2 ? " argument)" : " arguments)");
    }

    private static List<String> commands(CommandSession session) {
        List<String> names = new ArrayList<>();
        if (session.get(".commands") instanceof Collection<?> c) for (Object n : c) names.add(n.toString());
        return names;
    }

    private static int intEnv(Environment env, String name, int fallback) {
        try {
            int v = Integer.parseInt(env.getEnv().getOrDefault(name, Integer.toString(fallback)));
            return v > 0 ? v : fallback; // a client without a real terminal (ssh -tt < file) reports 0
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    @Override
    public void destroy(ChannelSession channel) {
        if (thread != null) thread.interrupt();
    }
}
