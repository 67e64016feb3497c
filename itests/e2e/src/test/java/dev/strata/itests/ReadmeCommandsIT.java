package dev.strata.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.strata.itests.StreamManagementIT.Raw;

/**
 * The README's own commands, as a new admin runs them: its {@code strata register} lines, taken
 * from the README itself, make their accounts while the server runs, and each account logs in
 * with the README's password. And {@code strata shell} passes arguments with spaces and quotes
 * to the console as one word each.
 */
class ReadmeCommandsIT {
    private static final Path ROOT = StrataServer.REPOSITORY;

    @Test
    void theReadmesRegisterCommandsMakeTheirAccountsWhileTheServerRuns() throws Exception {
        List<List<String>> commands = new ArrayList<>();
        for (String line : Files.readAllLines(ROOT.resolve("README.md"))) {
            if (line.startsWith("runtime/target/strata/bin/strata register ")) commands.add(words(line));
        }
        assertThat(commands).as("the README shows how to make two accounts").hasSizeGreaterThanOrEqualTo(2);
        Path home = StrataServer.freshHome("readme-commands-it");
        try (StrataServer s = StrataServer.start(home, home.resolve("data"), Map.of())) {
            for (List<String> c : commands) {
                StrataServer.Result r = s.strata(Map.of(), c.subList(1, c.size()).toArray(String[]::new));
                assertThat(r.exit()).as("%s: %s", c, r).isZero();
            }
            for (List<String> c : commands) {
                // register USER DOMAIN PASSWORD
                try (Raw client = Raw.boundWith(s, c.get(2), c.get(4), "readme")) {
                    assertThat(client).isNotNull();
                }
            }
        }
    }

    @Test
    void shellArgumentsKeepTheirSpacesAndQuotes() throws Exception {
        Path home = StrataServer.freshHome("shell-quoting-it");
        try (StrataServer s = StrataServer.start(home, home.resolve("data"), Map.of())) {
            Map<String, String> passwords = Map.of(
                    "carol", "a \"quoted\" $HOME \\ 50% {pass}; (x) | y",
                    "chuck", "it's Bob's \"pass\" $x \\ 50%",
                    "cathy", "it's");
            for (var p : passwords.entrySet()) {
                StrataServer.Result r = s.strata(Map.of(), "register", p.getKey(), "localhost", p.getValue());
                assertThat(r.exit()).as("register %s: %s", p.getKey(), r).isZero();
            }
            StrataServer.Result r = s.strata(Map.of(), "shell", "user:add", "dora@localhost", passwords.get("carol"));
            assertThat(r.exit()).as("%s", r).isZero();
            StrataServer.Result two = s.strata(Map.of(), "shell", "user:passwd", "chuck@localhost", passwords.get("chuck") + " 2");
            assertThat(two.exit()).as("%s", two).isZero();
            // an odd number of single quotes cannot pass the console's parser: said, not mangled
            StrataServer.Result odd = s.strata(Map.of(), "shell", "user:add", "ed@localhost", "it's");
            assertThat(odd.exit()).isEqualTo(2);
            assertThat(odd.err()).contains("odd number of single quotes").contains("on the input");
            for (var p : Map.of("carol", passwords.get("carol"), "cathy", "it's", "dora", passwords.get("carol"), "chuck", passwords.get("chuck") + " 2").entrySet()) {
                try (Raw client = Raw.boundWith(s, p.getKey(), p.getValue(), "desk")) {
                    assertThat(client).isNotNull();
                }
            }
            // one argument is a console line as written: two commands
            StrataServer.Result lines = s.strata(Map.of(), "shell", "user:add dave@localhost dave-Pw-1; user:add erin@localhost erin-Pw-1");
            assertThat(lines.exit()).as("%s", lines).isZero();
            try (Raw dave = Raw.boundWith(s, "dave", "dave-Pw-1", "desk"); Raw erin = Raw.boundWith(s, "erin", "erin-Pw-1", "desk")) {
                assertThat(dave).isNotNull();
                assertThat(erin).isNotNull();
            }
        }
    }

    /** A shell line's words: blanks separate them, single quotes keep a word whole; a comment ends the line. */
    static List<String> words(String line) {
        List<String> words = new ArrayList<>();
        StringBuilder w = null;
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char ch = line.charAt(i);
            if (quoted) {
                if (ch == '\'') quoted = false;
                else w.append(ch);
            } else if (ch == '\'') {
                quoted = true;
                if (w == null) w = new StringBuilder();
            } else if (ch == '#' && w == null) {
                break;
            } else if (Character.isWhitespace(ch)) {
                if (w != null) words.add(w.toString());
                w = null;
            } else {
                if (w == null) w = new StringBuilder();
                w.append(ch);
            }
        }
        if (w != null) words.add(w.toString());
        return words;
    }
}
