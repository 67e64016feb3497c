package dev.strata.api.auth;

import dev.strata.api.Jid;

/** The account an {@link AccountStore} operation names does not exist. */
public class NoSuchAccountException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public NoSuchAccountException(Jid account) {
        super("There is no account " + account);
    }
}
