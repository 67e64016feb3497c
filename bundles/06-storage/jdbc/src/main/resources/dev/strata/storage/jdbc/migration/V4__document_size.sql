-- The serialized size of each document, so a store (an offline mailbox) is measured without reading it.
ALTER TABLE strata_kv ADD COLUMN doc_chars INTEGER DEFAULT 0 NOT NULL;
UPDATE strata_kv SET doc_chars = LENGTH(document);
