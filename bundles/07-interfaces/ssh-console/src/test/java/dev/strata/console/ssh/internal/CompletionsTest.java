package dev.strata.console.ssh.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class CompletionsTest {
    private final Completions completions = new Completions(new Completions.Sources(
            () -> List.of("module:load", "module:reload", "config:get", "config:set", "session:kick", "user:passwd", "motd:set"),
            () -> List.of("xep-0199-ping", "stream-c2s"), () -> List.of("core"), () -> List.of("strata.console.ssh", "strata.listener"),
            pid -> Map.of("strata.console.ssh", List.of("port", "idle.timeout"), "strata.listener", List.of("kind", "port")).getOrDefault(pid, List.of()),
            () -> List.of("alice@localhost/phone"), () -> List.of("alice@localhost", "bob@localhost"), () -> List.of("127.0.0.1", "alice@localhost")));

    private List<String> at(String line) {
        List<String> words = new java.util.ArrayList<>(List.of(line.split(" ", -1)));
        return List.copyOf(completions.candidates(words, words.size() - 1));
    }

    @Test
    void commandsByFullAndShortName() {
        assertThat(at("mod")).contains("module:load", "load", "reload", "kick");
    }

    @Test
    void eachCommandCompletesWhatItsArgumentNames() {
        assertThat(at("module:reload ")).containsExactly("xep-0199-ping", "stream-c2s");
        assertThat(at("module:unload --force ")).as("options are not positions").containsExactly("xep-0199-ping", "stream-c2s");
        assertThat(at("config:get ")).containsExactly("strata.console.ssh", "strata.listener");
        assertThat(at("config:set strata.console.ssh ")).containsExactly("port", "idle.timeout");
        assertThat(at("config:set strata.console.ssh port ")).as("a value is free text").isEmpty();
        assertThat(at("session:kick ")).containsExactly("alice@localhost/phone");
        assertThat(at("user:passwd ")).containsExactly("alice@localhost", "bob@localhost");
        assertThat(at("auth:clear ")).containsExactly("127.0.0.1", "alice@localhost");
        assertThat(at("motd:set ")).as("another scope's set").isEmpty();
        assertThat(at("module:reload xep-0199-ping ")).isEmpty();
    }
}
