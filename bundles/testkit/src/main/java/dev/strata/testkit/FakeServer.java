package dev.strata.testkit;

import java.util.List;

import dev.strata.api.Jid;
import dev.strata.api.server.ServerInfo;

/** Server settings for a test: the domains (the first is the default) and the administrators. */
public record FakeServer(List<String> domains, String environment, List<Jid> admins) implements ServerInfo {
    public static FakeServer of(String... domains) {
        return new FakeServer(List.of(domains), "development", List.of());
    }

    public FakeServer withAdmins(Jid... admins) {
        return new FakeServer(domains, environment, List.of(admins));
    }
}
