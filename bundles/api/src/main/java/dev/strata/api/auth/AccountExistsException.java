package dev.strata.api.auth;

import dev.strata.api.Jid;

/** {@link AccountStore#create} found the account there already. */
public class AccountExistsException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public AccountExistsException(Jid account) {
        super("The account " + account + " exists already");
    }
}
