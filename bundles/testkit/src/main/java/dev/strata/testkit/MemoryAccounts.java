package dev.strata.testkit;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import dev.strata.api.Jid;
import dev.strata.api.auth.AccountExistsException;
import dev.strata.api.auth.AccountStore;
import dev.strata.api.auth.NoSuchAccountException;
import dev.strata.api.auth.ScramCredential;
import dev.strata.api.auth.ScramHash;

/** Accounts in memory; passwords are kept as given (tests only) and checked by {@link #verifyPassword}. */
public class MemoryAccounts implements AccountStore {
    private final Map<Jid, String> passwords = new TreeMap<>((a, b) -> a.toString().compareTo(b.toString()));

    public MemoryAccounts with(String... bareJids) {
        for (String j : bareJids) create(Jid.of(j), "pw");
        return this;
    }

    @Override
    public synchronized void create(Jid user, String password) {
        if (passwords.putIfAbsent(user.bare(), password) != null) throw new AccountExistsException(user.bare());
    }

    @Override
    public synchronized void changePassword(Jid user, String password) {
        if (passwords.replace(user.bare(), password) == null) throw new NoSuchAccountException(user.bare());
    }

    @Override
    public synchronized boolean delete(Jid user) {
        return passwords.remove(user.bare()) != null;
    }

    @Override
    public synchronized boolean exists(Jid user) {
        return passwords.containsKey(user.bare());
    }

    @Override
    public Optional<ScramCredential> credential(Jid user, ScramHash hash) {
        return Optional.empty();
    }

    @Override
    public synchronized List<Jid> list(String domain) {
        return passwords.keySet().stream().filter(j -> j.domain().equals(domain)).toList();
    }

    @Override
    public synchronized boolean verifyPassword(Jid user, String password) {
        return password.equals(passwords.get(user.bare()));
    }
}
