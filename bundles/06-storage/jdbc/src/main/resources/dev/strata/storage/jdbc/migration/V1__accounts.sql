-- Accounts and their SCRAM credentials (RFC 5802 §3): never a password.
-- Binary values are base64 text, so the same schema serves H2 and PostgreSQL.
CREATE TABLE strata_accounts (
    domain     VARCHAR(1023) NOT NULL,
    username   VARCHAR(1023) NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (domain, username)
);
CREATE TABLE strata_scram_credentials (
    domain     VARCHAR(1023) NOT NULL,
    username   VARCHAR(1023) NOT NULL,
    mechanism  VARCHAR(32)   NOT NULL,
    salt       VARCHAR(128)  NOT NULL,
    iterations INTEGER       NOT NULL,
    stored_key VARCHAR(128)  NOT NULL,
    server_key VARCHAR(128)  NOT NULL,
    PRIMARY KEY (domain, username, mechanism),
    FOREIGN KEY (domain, username) REFERENCES strata_accounts (domain, username) ON DELETE CASCADE
);
