package dev.strata.console.ssh.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.junit.jupiter.api.Test;

class CommandHelpTest {
    public static final class Users {
        @Descriptor("Create an account")
        public String add(@Descriptor("user") String name, @Descriptor("password") String password) {
            return name;
        }

        @Descriptor("Create an account, its password read from the input")
        public String add(CommandSession session, @Descriptor("user") String name) {
            return name;
        }

        @Descriptor("Stop a module")
        public String unload(@Parameter(names = "--force", presentValue = "true", absentValue = "false") @Descriptor("also then") boolean force,
                @Descriptor("module") String name) {
            return name;
        }

        public String undocumented(int lines) {
            return "";
        }
    }

    public static final class Framework {
        @Descriptor("list bundles")
        public void lb() {
        }
    }

    private final CommandHelp help = CommandHelp.of(List.of(
            CommandHelp.describe("user", "add", Users.class, true),
            CommandHelp.describe("module", "unload", Users.class, true),
            CommandHelp.describe("user", "undocumented", Users.class, true),
            CommandHelp.describe("felix", "lb", Framework.class, false)));

    @Test
    void usagesLeaveOutTheSessionAndShowOptions() {
        CommandHelp.Command add = CommandHelp.describe("user", "add", Users.class, true);
        assertThat(add.description()).isEqualTo("Create an account");
        assertThat(add.usages()).containsExactly("user:add <user> <password>", "user:add <user>");
        assertThat(CommandHelp.describe("module", "unload", Users.class, true).usages()).containsExactly("module:unload [--force] <module>");
        assertThat(CommandHelp.describe("user", "undocumented", Users.class, true).usages()).containsExactly("user:undocumented <int>");
    }

    @Test
    void helpListsStrataFirstAndTheFrameworkOnlyWhenAsked() {
        assertThat(help.list(false)).contains("user:add").contains("module:unload").doesNotContain("felix:lb").contains("'help all'");
        String all = help.list(true);
        assertThat(all.indexOf("user:add")).isPositive().isLessThan(all.indexOf("felix:lb"));
    }

    @Test
    void aNameWithoutScopeFindsStrataCommandsFirst() {
        assertThat(help.find("add")).extracting(CommandHelp.Command::qualified).containsExactly("user:add");
        assertThat(help.find("lb")).extracting(CommandHelp.Command::qualified).containsExactly("felix:lb");
        assertThat(help.find("nosuch")).isEmpty();
        assertThat(help.about("user:add")).hasValueSatisfying(t -> assertThat(t).contains("usage: user:add <user> <password>"));
    }
}
