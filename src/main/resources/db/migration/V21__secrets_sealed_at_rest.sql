-- A file holding a secret (a secret pattern of its service matches it) is stored sealed: data holds the UTF-8 bytes of
-- a Sealer envelope (AES-256-GCM under a key kept outside the database), opened only for what an agent receives.
-- Rows stored before this version are sealed by the server at its first start with it (it holds the key; SQL cannot).
ALTER TABLE blobs ADD COLUMN sealed BOOLEAN NOT NULL DEFAULT FALSE;

-- The secrets keys this database has been served with: ids and a check envelope each, never the keys. A start whose
-- key ring lacks one of them is refused, rather than served with a new key that cannot open what is stored.
CREATE TABLE secrets_keys (
    id             VARCHAR(40) PRIMARY KEY,
    check_envelope TEXT        NOT NULL,
    created_at     BIGINT      NOT NULL
);
