-- One schema for SQLite and PostgreSQL: portable types only, ids and numbers assigned by the application,
-- times as epoch milliseconds.
CREATE TABLE services (
    name        VARCHAR(100) PRIMARY KEY,
    spec        TEXT         NOT NULL,
    created_at  BIGINT       NOT NULL,
    updated_at  BIGINT       NOT NULL
);

-- File contents, content-addressed: identical files across versions are stored once.
CREATE TABLE blobs (
    hash     CHAR(64) PRIMARY KEY,
    size     BIGINT   NOT NULL,
    content  TEXT     NOT NULL
);

CREATE TABLE versions (
    service      VARCHAR(100) NOT NULL REFERENCES services (name),
    number       INTEGER      NOT NULL,
    parent       INTEGER,
    author       VARCHAR(200) NOT NULL,
    message      TEXT         NOT NULL,
    created_at   BIGINT       NOT NULL,
    tree_hash    CHAR(64)     NOT NULL,
    file_count   INTEGER      NOT NULL,
    total_bytes  BIGINT       NOT NULL,
    releasable   BOOLEAN      NOT NULL,
    high_risk    BOOLEAN      NOT NULL,
    bad          BOOLEAN      NOT NULL DEFAULT FALSE,
    bad_reason   TEXT,
    break_glass  TEXT,
    report       TEXT         NOT NULL,
    PRIMARY KEY (service, number)
);

CREATE TABLE version_files (
    service  VARCHAR(100)  NOT NULL,
    number   INTEGER       NOT NULL,
    path     VARCHAR(1024) NOT NULL,
    hash     CHAR(64)      NOT NULL REFERENCES blobs (hash),
    PRIMARY KEY (service, number, path),
    FOREIGN KEY (service, number) REFERENCES versions (service, number)
);

CREATE TABLE environments (
    service           VARCHAR(100) NOT NULL REFERENCES services (name),
    name              VARCHAR(100) NOT NULL,
    position          INTEGER      NOT NULL,
    released_version  INTEGER,
    released_at       BIGINT,
    PRIMARY KEY (service, name)
);

CREATE TABLE releases (
    id                VARCHAR(36)  PRIMARY KEY,
    service           VARCHAR(100) NOT NULL,
    environment       VARCHAR(100) NOT NULL,
    version           INTEGER      NOT NULL,
    previous_version  INTEGER,
    actor             VARCHAR(200) NOT NULL,
    break_glass       TEXT,
    created_at        BIGINT       NOT NULL
);
CREATE INDEX releases_by_env ON releases (service, environment, created_at);
