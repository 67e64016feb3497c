-- Per-account XML documents in named stores (KeyValueStore). Deleted with the account.
CREATE TABLE strata_kv (
    domain     VARCHAR(1023)    NOT NULL,
    username   VARCHAR(1023)    NOT NULL,
    store      VARCHAR(255)     NOT NULL,
    item_key   VARCHAR(1023)    NOT NULL,
    document   VARCHAR(1000000) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (domain, username, store, item_key)
);
