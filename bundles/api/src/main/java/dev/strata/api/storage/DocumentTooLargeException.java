package dev.strata.api.storage;

/**
 * A document larger than a store keeps ({@link KeyValueStore#MAX_DOCUMENT_CHARS}). It says
 * something about the document, not about the database: a caller answers its sender with a
 * {@code policy-violation} or {@code not-acceptable} that says so, never with
 * {@code internal-server-error}.
 */
public class DocumentTooLargeException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    private final long chars;
    private final long limit;

    public DocumentTooLargeException(long chars, long limit) {
        super("The document is " + chars + " characters of XML; the store keeps at most " + limit);
        this.chars = chars;
        this.limit = limit;
    }

    public long chars() {
        return chars;
    }

    public long limit() {
        return limit;
    }
}
