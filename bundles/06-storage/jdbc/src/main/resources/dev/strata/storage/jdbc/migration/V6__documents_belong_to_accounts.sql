-- A document belongs to an account and goes with it: a write that races the account's deletion
-- fails instead of leaving a document that whoever registers the name next would inherit.
DELETE FROM strata_kv WHERE NOT EXISTS (
    SELECT 1 FROM strata_accounts a WHERE a.domain = strata_kv.domain AND a.username = strata_kv.username);
ALTER TABLE strata_kv ADD CONSTRAINT strata_kv_account
    FOREIGN KEY (domain, username) REFERENCES strata_accounts (domain, username) ON DELETE CASCADE;
