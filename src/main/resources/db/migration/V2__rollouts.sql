CREATE TABLE hosts (
    service          VARCHAR(100) NOT NULL,
    environment      VARCHAR(100) NOT NULL,
    host             VARCHAR(200) NOT NULL,
    labels           TEXT,
    registered_at    BIGINT       NOT NULL,
    last_seen        BIGINT,
    applied_version  INTEGER,
    desired_version  INTEGER,
    failed_version   INTEGER,
    apply_error      TEXT,
    PRIMARY KEY (service, environment, host)
);

CREATE TABLE rollouts (
    id               VARCHAR(36)  PRIMARY KEY,
    service          VARCHAR(100) NOT NULL,
    environment      VARCHAR(100) NOT NULL,
    from_version     INTEGER,
    to_version       INTEGER      NOT NULL,
    hosts            TEXT         NOT NULL,
    policy           TEXT         NOT NULL,
    state            VARCHAR(20)  NOT NULL,
    wave             INTEGER      NOT NULL,
    wave_started_at  BIGINT       NOT NULL,
    created_at       BIGINT       NOT NULL,
    updated_at       BIGINT       NOT NULL,
    actor            VARCHAR(200) NOT NULL,
    break_glass      TEXT,
    reason           TEXT
);
CREATE INDEX rollouts_by_state ON rollouts (state);
CREATE INDEX rollouts_by_env ON rollouts (service, environment, created_at);

-- The timeline: every state change with its time and source, read by incidents and the dashboard.
CREATE TABLE events (
    id           VARCHAR(36)  PRIMARY KEY,
    service      VARCHAR(100) NOT NULL,
    environment  VARCHAR(100),
    rollout_id   VARCHAR(36),
    type         VARCHAR(50)  NOT NULL,
    message      TEXT         NOT NULL,
    data         TEXT,
    at           BIGINT       NOT NULL
);
CREATE INDEX events_by_service ON events (service, at);
CREATE INDEX events_by_rollout ON events (rollout_id, at);
