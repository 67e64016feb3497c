package dev.strata.api.storage;

/**
 * The store could not do what was asked: the database is unreachable, a statement failed, a stored
 * document is unreadable. It never means "not found" or "exists already" (those are answers, given
 * as return values or their own exceptions), so a caller maps it to {@code internal-server-error}
 * or {@code temporary-auth-failure}, not to a statement about the data.
 */
public class StorageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StorageException(String message, Throwable cause) {
        super(message, cause);
    }

    public StorageException(String message) {
        super(message);
    }
}
