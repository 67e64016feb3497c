package dev.strata.console.ssh.internal;

import java.util.Collection;
import java.util.List;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Supplier;

import org.jline.reader.Candidate;
import org.jline.reader.Completer;
import org.jline.reader.LineReader;
import org.jline.reader.ParsedLine;

/**
 * Tab completion at the console: command names first, then what each command's arguments name, asked of the
 * running server at the moment Tab is pressed: modules for {@code module:*}, features for {@code feature:*},
 * PIDs then keys for {@code config:*}, connected JIDs for {@code session:kick}, accounts for {@code user:*}, the
 * addresses and accounts with failed logins for {@code auth:clear}.
 */
final class Completions implements Completer {
    /** Where the names come from (the server's services; fixed lists in tests). */
    record Sources(Supplier<Collection<String>> commands, Supplier<Collection<String>> modules, Supplier<Collection<String>> features,
            Supplier<Collection<String>> pids, Function<String, Collection<String>> keys, Supplier<Collection<String>> sessions,
            Supplier<Collection<String>> accounts, Supplier<Collection<String>> lockouts) {
    }

    private final Sources sources;

    Completions(Sources sources) {
        this.sources = sources;
    }

    @Override
    public void complete(LineReader reader, ParsedLine line, List<Candidate> candidates) {
        for (String c : candidates(line.words(), line.wordIndex())) candidates.add(new Candidate(c));
    }

    /** The candidates for word {@code index} of a line split into {@code words} (the word being completed included). */
    Collection<String> candidates(List<String> words, int index) {
        if (index == 0) {
            TreeSet<String> names = new TreeSet<>();
            for (String c : sources.commands().get()) {
                names.add(c);
                names.add(c.substring(c.indexOf(':') + 1));
            }
            return names;
        }
        String command = words.getFirst();
        List<String> args = words.subList(1, index).stream().filter(w -> !w.startsWith("-")).toList();
        int arg = args.size(); // which positional argument is being completed, options aside
        return switch (command.substring(command.indexOf(':') + 1)) {
            case "load", "reload", "unload" -> arg == 0 && isScope(command, "module") ? sources.modules().get() : List.of();
            case "install", "uninstall" -> arg == 0 && isScope(command, "feature") ? sources.features().get() : List.of();
            case "get", "set" -> !isScope(command, "config") ? List.of()
                    : arg == 0 ? sources.pids().get() : arg == 1 ? sources.keys().apply(args.getFirst()) : List.of();
            case "kick" -> arg == 0 && isScope(command, "session") ? sources.sessions().get() : List.of();
            case "passwd", "delete" -> arg == 0 && isScope(command, "user") ? sources.accounts().get() : List.of();
            case "clear" -> arg == 0 && isScope(command, "auth") ? sources.lockouts().get() : List.of();
            default -> List.of();
        };
    }

    /** {@code module:load} is in scope module; so is a bare {@code load}, as Gogo finds it by its function alone. */
    private static boolean isScope(String command, String scope) {
        int colon = command.indexOf(':');
        return colon < 0 || command.substring(0, colon).equals(scope);
    }
}
