-- A key is retired once everything it sealed was sealed again with a newer one (a rotation that completed): a start
-- no longer needs it, so an operator may drop a leaked key's line from the ring after rotating.
ALTER TABLE secrets_keys ADD COLUMN retired_at BIGINT;
