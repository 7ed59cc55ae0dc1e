-- People and CI, their tokens (SHA-256 at rest, the plain text is shown once), roles per service ("*" for all).
CREATE TABLE users (
    name        VARCHAR(100) PRIMARY KEY,
    created_at  BIGINT       NOT NULL,
    disabled    BOOLEAN      NOT NULL DEFAULT FALSE
);

CREATE TABLE role_bindings (
    user_name   VARCHAR(100) NOT NULL REFERENCES users (name),
    service     VARCHAR(100) NOT NULL,
    role        VARCHAR(20)  NOT NULL,
    PRIMARY KEY (user_name, service, role)
);

-- kind USER: a person's or CI's token; kind AGENT: an enrolment token for one service/environment (and host).
CREATE TABLE tokens (
    id            VARCHAR(36)  PRIMARY KEY,
    hash          CHAR(64)     NOT NULL UNIQUE,
    kind          VARCHAR(10)  NOT NULL,
    user_name     VARCHAR(100),
    name          VARCHAR(200) NOT NULL,
    service       VARCHAR(100),
    environment   VARCHAR(100),
    host          VARCHAR(200),
    created_by    VARCHAR(100) NOT NULL,
    created_at    BIGINT       NOT NULL,
    expires_at    BIGINT,
    revoked_at    BIGINT,
    last_used_at  BIGINT
);

CREATE TABLE sessions (
    id_hash     CHAR(64)     PRIMARY KEY,
    user_name   VARCHAR(100) NOT NULL REFERENCES users (name),
    csrf        VARCHAR(64)  NOT NULL,
    created_at  BIGINT       NOT NULL,
    expires_at  BIGINT       NOT NULL
);

-- A high-risk version needs an approval by someone who is not its author before production takes it.
CREATE TABLE approvals (
    service     VARCHAR(100) NOT NULL,
    version     INTEGER      NOT NULL,
    approver    VARCHAR(100) NOT NULL,
    comment     TEXT,
    at          BIGINT       NOT NULL,
    PRIMARY KEY (service, version, approver)
);

-- Append-only, hash-chained: hash = SHA-256(prev_hash + the record's canonical JSON). Editing or deleting a
-- record breaks the chain at that point; `rollguard audit verify` recomputes it.
CREATE TABLE audit (
    seq         BIGINT       PRIMARY KEY,
    at          BIGINT       NOT NULL,
    actor       VARCHAR(200) NOT NULL,
    source      VARCHAR(100),
    action      VARCHAR(200) NOT NULL,
    target      TEXT         NOT NULL,
    status      INTEGER      NOT NULL,
    before_state TEXT,
    after_state  TEXT,
    prev_hash   CHAR(64)     NOT NULL,
    hash        CHAR(64)     NOT NULL
);
